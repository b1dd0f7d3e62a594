// GCC 12.2 misreports Asio's coroutine frames (class-specific operator new/delete) as
// -Wmismatched-new-delete at -O2 (GCC bug 109224, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "daemon/ctl/ctl_http.h"

#include <toml++/toml.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "adapters/clock/system_clock.h"
#include "adapters/config/config.h"

namespace fangfan {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;
using asio::ip::tcp;

constexpr const char* kDefaultApi = "127.0.0.1:8470";
constexpr std::uint64_t kMaxAnswerBytes = 64 * 1024 * 1024;

struct Found {
  std::optional<std::string> api, token;
  std::string api_origin;
};

std::optional<std::string> take_flag(std::vector<std::string>& args, const std::string& flag,
                                     std::string& error) {
  std::optional<std::string> value;
  for (std::size_t i = 0; i < args.size();) {
    if (args[i] == flag) {
      if (i + 1 >= args.size()) {
        error = flag + " 后面缺少值 (" + flag + " needs a value)";
        return std::nullopt;
      }
      value = args[i + 1];
      args.erase(args.begin() + long(i), args.begin() + long(i) + 2);
    } else if (args[i].rfind(flag + "=", 0) == 0) {
      value = args[i].substr(flag.size() + 1);
      args.erase(args.begin() + long(i));
    } else {
      ++i;
    }
  }
  return value;
}

// ctl.toml: api and token, nothing else.
std::optional<std::string> read_ctl_file(const fs::path& file, Found& found) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::nullopt;
  try {
    toml::table t = toml::parse_file(file.string());
    for (const auto& [key, node] : t) {
      const std::string k(key.str());
      if (k != "api" && k != "token") {
        return file.string() + ":" + std::to_string(node.source().begin.line) + ": " + k +
               ": 未知的键，只认识 api 和 token (unknown key; only api and token are read)";
      }
      auto value = node.value<std::string>();
      if (!value) {
        return file.string() + ":" + std::to_string(node.source().begin.line) + ": " + k +
               ": 应为字符串 (must be a string)";
      }
      if (k == "api" && !found.api) {
        found.api = *value;
        found.api_origin = file.string();
      }
      if (k == "token" && !found.token) found.token = *value;
    }
  } catch (const toml::parse_error& e) {
    return file.string() + ":" + std::to_string(e.source().begin.line) + ": " +
           std::string(e.description());
  }
  return std::nullopt;
}

std::optional<std::string> split_address(const std::string& text, ApiTarget& target) {
  if (text.rfind("unix:", 0) == 0) {
    target.unix_path = text.substr(5);
    if (target.unix_path.empty()) {
      return "API 地址“" + text +
             "”缺少套接字路径，例如 unix:/var/lib/fangfan/fangfan.sock (the "
             "API address unix:PATH needs a path)";
    }
    return std::nullopt;
  }
  std::string& host = target.host;
  std::string& port = target.port;
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return "API 地址“" + text +
           "”应为 地址:端口，例如 127.0.0.1:8470 (the API address must be "
           "ADDRESS:PORT, e.g. 127.0.0.1:8470)";
  }
  host = text.substr(0, colon);
  port = text.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (port.find_first_not_of("0123456789") != std::string::npos) {
    return "API 地址“" + text + "”的端口不是数字 (the port of the API address is not a number)";
  }
  return std::nullopt;
}

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

std::string unreachable(const ApiTarget& target, const beast::error_code& ec);
template <class Stream>
asio::awaitable<std::variant<HttpReply, std::string>> converse(Stream& stream,
                                                               const ApiTarget& target,
                                                               http::verb method,
                                                               const std::string& path,
                                                               const std::string& body);

asio::awaitable<std::variant<HttpReply, std::string>> exchange(const ApiTarget& target,
                                                               http::verb method,
                                                               const std::string& path,
                                                               const std::string& body,
                                                               std::chrono::milliseconds timeout) {
  auto ex = co_await asio::this_coro::executor;
  const std::string where = target.where();
  if (!target.unix_path.empty()) {
    beast::basic_stream<asio::local::stream_protocol> stream(ex);
    stream.expires_after(timeout);
    auto [cec] = co_await stream.async_connect(
        asio::local::stream_protocol::endpoint(target.unix_path), kAwait);
    if (cec) co_return unreachable(target, cec);
    co_return co_await converse(stream, target, method, path, body);
  }
  tcp::resolver resolver(ex);
  auto [rec, endpoints] = co_await resolver.async_resolve(target.host, target.port, kAwait);
  if (rec) {
    co_return "无法解析 API 地址 " + where + "：" + rec.message() + " (cannot resolve " + where +
        ": " + rec.message() + ")";
  }
  beast::tcp_stream stream(ex);
  stream.expires_after(timeout);
  auto [cec, endpoint] = co_await stream.async_connect(endpoints, kAwait);
  if (cec) co_return unreachable(target, cec);
  co_return co_await converse(stream, target, method, path, body);
}

std::string unreachable(const ApiTarget& target, const beast::error_code& ec) {
  const std::string where = target.where();
  return "无法连接 fangfan API " + where + "（来自 " + target.origin + "）：" + ec.message() +
         "。fangfand 是否在运行？(cannot reach the fangfan API at " + where + " from " +
         target.origin + ": " + ec.message() + "; is fangfand running?)";
}

// One request and its answer on a connected stream (TCP or the Unix socket).
template <class Stream>
asio::awaitable<std::variant<HttpReply, std::string>> converse(Stream& stream,
                                                               const ApiTarget& target,
                                                               http::verb method,
                                                               const std::string& path,
                                                               const std::string& body) {
  const std::string where = target.where();
  http::request<http::string_body> req{method, path, 11};
  req.set(http::field::host, target.unix_path.empty() ? where : "localhost");
  req.set(http::field::user_agent, "fangfanctl/" FANGFAN_VERSION);
  req.set(http::field::accept, "application/json");
  if (!target.token.empty()) req.set(http::field::authorization, "Bearer " + target.token);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.keep_alive(false);
  req.prepare_payload();
  auto [wec, wn] = co_await http::async_write(stream, req, kAwait);
  if (wec) {
    co_return "发送请求到 " + where + " 失败：" + wec.message() + " (sending the request to " +
        where + " failed: " + wec.message() + ")";
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxAnswerBytes);
  auto [ec, n] = co_await http::async_read(stream, buffer, parser, kAwait);
  if (ec) {
    co_return "读取 " + where + " 的回答失败：" + ec.message() + " (reading the answer from " +
        where + " failed: " + ec.message() + ")";
  }
  beast::error_code ignored;
  stream.socket().shutdown(asio::socket_base::shutdown_both, ignored);
  HttpReply reply;  // not co_return HttpReply{...}: GCC 12 double-destroys braced aggregates there
  reply.status = parser.get().result_int();
  reply.body = std::move(parser.get().body());
  co_return reply;
}

}  // namespace

CtlEnvironment CtlEnvironment::from_process(std::optional<fs::path> daemon_config) {
  CtlEnvironment env;
  env.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v || !*v) return std::nullopt;
    return std::string(v);
  };
  if (auto xdg = env.getenv("XDG_CONFIG_HOME")) {
    env.ctl_file = fs::path(*xdg) / "fangfan/ctl.toml";
  } else if (auto home = env.getenv("HOME")) {
    env.ctl_file = fs::path(*home) / ".config/fangfan/ctl.toml";
  }
  env.daemon_config = std::move(daemon_config);
  return env;
}

std::variant<ApiTarget, std::string> resolve_api_target(std::vector<std::string>& args,
                                                        const CtlEnvironment& env) {
  Found found;
  std::string error;
  found.api = take_flag(args, "--api", error);
  if (!error.empty()) return error;
  if (found.api) found.api_origin = "--api";
  found.token = take_flag(args, "--token", error);
  if (!error.empty()) return error;
  if (!found.api) {
    if ((found.api = env.getenv("FANGFAN_API"))) found.api_origin = "FANGFAN_API";
  }
  if (!found.token) found.token = env.getenv("FANGFAN_TOKEN");
  if ((!found.api || !found.token) && !env.ctl_file.empty()) {
    if (auto e = read_ctl_file(env.ctl_file, found)) return *e;
  }
  if (!found.api && env.daemon_config) {
    auto loaded = load_config(*env.daemon_config,
                              {.read_secrets = false, .today = china_date(SystemClock().now())});
    if (auto* errors = std::get_if<std::vector<ConfigError>>(&loaded)) {
      std::string text =
          "读取配置文件以确定 API 地址失败 (reading the configuration for the API "
          "address failed):";
      for (const auto& e : *errors) text += "\n  " + e.to_string();
      return text;
    }
    found.api = std::get<std::shared_ptr<const Config>>(loaded)->api_listen;
    found.api_origin = env.daemon_config->string() + " [api] listen";
  }
  if (!found.api) {
    found.api = kDefaultApi;
    found.api_origin = "the default address";
  }
  ApiTarget target;
  if (auto e = split_address(*found.api, target)) {
    return *e + " (" + found.api_origin + ")";
  }
  target.token = found.token.value_or("");
  target.origin = found.api_origin;
  return target;
}

std::variant<HttpReply, std::string> http_call(const ApiTarget& target, http::verb method,
                                               const std::string& path, const std::string& body,
                                               std::chrono::milliseconds timeout) {
  asio::io_context io;
  std::variant<HttpReply, std::string> result = std::string("no answer");
  asio::co_spawn(io, exchange(target, method, path, body, timeout),
                 [&result](std::exception_ptr e, std::variant<HttpReply, std::string> r) {
                   if (e) {
                     try {
                       std::rethrow_exception(e);
                     } catch (const std::exception& ex) {
                       result = std::string("请求失败 (the request failed): ") + ex.what();
                     }
                   } else {
                     result = std::move(r);
                   }
                 });
  io.run();
  return result;
}

std::string api_error_message(const HttpReply& reply) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(reply.body, ec);
  if (!ec && v.is_object()) {
    const auto& o = v.get_object();
    if (const auto* m = o.if_contains("message"); m && m->is_string()) {
      std::string text(m->get_string());
      if (const auto* f = o.if_contains("field"); f && f->is_string() && !f->get_string().empty()) {
        text += " [" + std::string(f->get_string()) + "]";
      }
      // A refusal's stable code, for the person who asks why or reports it.
      const auto* error = o.if_contains("error");
      const auto* reason = o.if_contains("reason");
      if (error && error->is_string() && error->get_string() == "refused" && reason &&
          reason->is_string()) {
        text += " (refused: " + std::string(reason->get_string()) + ")";
      }
      return text;
    }
  }
  std::string raw = reply.body;
  while (!raw.empty() && (raw.back() == '\n' || raw.back() == '\r')) raw.pop_back();
  return "HTTP " + std::to_string(reply.status) + (raw.empty() ? "" : ": " + raw);
}

std::size_t display_width(const std::string& text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    std::uint32_t cp = c;
    std::size_t len = 1;
    if (c >= 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else if (c >= 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if (c >= 0xc0) {
      len = 2;
      cp = c & 0x1f;
    }
    for (std::size_t k = 1; k < len && i + k < text.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3f);
    }
    i += len;
    // East Asian wide: Hangul Jamo, CJK symbols through Yi, Hangul, compatibility
    // ideographs, full-width forms, and the supplementary ideographic planes.
    const bool wide = (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
                      (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
                      (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
                      (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd);
    width += wide ? 2 : 1;
  }
  return width;
}

void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(header.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  };
  measure(header);
  for (const auto& r : rows) measure(r);
  auto line = [&](const std::vector<std::string>& row) {
    std::string text;
    for (std::size_t i = 0; i < row.size(); ++i) {
      text += row[i];
      if (i + 1 < row.size()) text += std::string(widths[i] - display_width(row[i]) + 2, ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << "\n";
  };
  line(header);
  for (const auto& r : rows) line(r);
}

namespace ctl {

bool take_switch(std::vector<std::string>& args, const std::string& name) {
  for (auto it = args.begin(); it != args.end(); ++it) {
    if (*it == name) {
      args.erase(it);
      return true;
    }
  }
  return false;
}

std::optional<std::string> take_option(std::vector<std::string>& args, const std::string& name,
                                       std::string& problem) {
  for (auto it = args.begin(); it != args.end(); ++it) {
    if (*it == name) {
      if (std::next(it) == args.end()) {
        problem = name + " 需要一个值 (" + name + " needs a value)";
        return std::nullopt;
      }
      std::string value = *std::next(it);
      args.erase(it, std::next(it, 2));
      return value;
    }
  }
  return std::nullopt;
}

std::optional<ApiTarget> target_or_report(std::vector<std::string>& args, const CtlEnvironment& env,
                                          std::ostream& err) {
  auto resolved = resolve_api_target(args, env);
  if (auto* problem = std::get_if<std::string>(&resolved)) {
    err << "fangfanctl: " << *problem << "\n";
    return std::nullopt;
  }
  return std::get<ApiTarget>(std::move(resolved));
}

std::optional<std::string> read_input(const std::string& name, std::ostream& err) {
  std::stringstream text;
  if (name == "-") {
    text << std::cin.rdbuf();
  } else {
    std::ifstream in(name, std::ios::binary);
    if (!in) {
      err << "fangfanctl: 无法读取文件 " << name << " (cannot read " << name << ")\n";
      return std::nullopt;
    }
    text << in.rdbuf();
  }
  return text.str();
}

std::string query_string(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string out;
  for (const auto& [name, value] : pairs) {
    out += (out.empty() ? "?" : "&") + name + "=";
    for (unsigned char ch : value) {  // percent-encode everything but unreserved characters
      if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
        out += static_cast<char>(ch);
      } else {
        char hex[4];
        std::snprintf(hex, sizeof hex, "%%%02X", ch);
        out += hex;
      }
    }
  }
  return out;
}

std::string json_text(const boost::json::object& o, const char* key) {
  const boost::json::value* v = o.if_contains(key);
  if (!v || v->is_null()) return "";
  if (v->is_string()) return std::string(v->get_string());
  return boost::json::serialize(*v);
}

std::optional<boost::json::object> call(const ApiTarget& target, http::verb method,
                                        const std::string& path, const std::string& body,
                                        bool raw_json, std::ostream& out, std::ostream& err,
                                        std::chrono::milliseconds timeout) {
  auto result = http_call(target, method, path, body, timeout);
  if (auto* problem = std::get_if<std::string>(&result)) {
    err << "fangfanctl: " << *problem << "\n";
    return std::nullopt;
  }
  const HttpReply& reply = std::get<HttpReply>(result);
  if (reply.status < 200 || reply.status >= 300) {
    err << "fangfanctl: " << api_error_message(reply) << "\n";
    return std::nullopt;
  }
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(reply.body, ec);
  if (ec || !v.is_object()) {
    err << "fangfanctl: 服务器的回答不是 JSON 对象 (the server's answer is not a JSON object)\n";
    return std::nullopt;
  }
  if (raw_json) {
    out << reply.body;
    if (reply.body.empty() || reply.body.back() != '\n') out << "\n";
  }
  return std::move(v.get_object());
}

}  // namespace ctl
}  // namespace fangfan
