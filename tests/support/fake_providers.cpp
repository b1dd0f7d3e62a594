#include "tests/support/fake_providers.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <deque>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "adapters/channels/signing.h"
#include "tests/support/fake_multipart.h"

namespace fangfan::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

namespace {

struct Reply {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool drop = false;
  std::chrono::milliseconds delay{0};
};

Reply json_reply(const json::value& v, int status = 200) {
  return {status, json::serialize(v), {{"Content-Type", "application/json"}}};
}

std::map<std::string, std::string> parse_form(std::string_view s) {
  std::map<std::string, std::string> out;
  while (!s.empty()) {
    const size_t amp = s.find('&');
    std::string_view pair = s.substr(0, amp);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos) {
      out[percent_decode(pair.substr(0, eq))] = percent_decode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    s.remove_prefix(amp + 1);
  }
  return out;
}

bool all_digits(std::string_view s, size_t n) {
  return s.size() == n &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "2017-07-12T02:42:19Z" → Unix seconds; -1 when malformed.
std::int64_t parse_iso(const std::string& s) {
  std::tm tm{};
  if (s.size() != 20 || s[19] != 'Z' ||
      std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
    return -1;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return std::int64_t(timegm(&tm));
}

std::map<std::string, std::string> query_params(const std::string& target) {
  const auto q = target.find('?');
  return parse_form(q == std::string::npos ? "" : target.substr(q + 1));
}

bool is_multipart(const std::map<std::string, std::string>& headers) {
  auto it = headers.find("content-type");
  return it != headers.end() && it->second.rfind("multipart/", 0) == 0;
}

std::string str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

std::optional<FakeAnswer> parse_fake_answer(std::string_view name) {
  static const std::map<std::string_view, FakeAnswer> kNames{
      {"success", FakeAnswer::kSuccess},
      {"rate_limit", FakeAnswer::kRateLimit},
      {"permanent", FakeAnswer::kPermanent},
      {"server_error", FakeAnswer::kServerError},
      {"too_many_requests", FakeAnswer::kTooManyRequests},
      {"delay", FakeAnswer::kDelay},
      {"drop", FakeAnswer::kDrop},
      {"malformed", FakeAnswer::kMalformed}};
  auto it = kNames.find(name);
  if (it == kNames.end()) return std::nullopt;
  return it->second;
}

json::value to_json(const FakeRequest& r) {
  json::object headers;
  for (const auto& [k, v] : r.headers) headers[k] = v;
  json::object fields;
  for (const auto& [k, v] : r.fields) fields[k] = v;
  return json::object{
      {"provider", r.provider},
      {"method", r.method},
      {"target", r.target},
      {"accepted", r.accepted},
      {"reason", r.reason},
      {"fields", fields},
      {"body", is_multipart(r.headers) ? "(multipart, " + std::to_string(r.body.size()) + " bytes)"
                                       : r.body},
      {"headers", headers}};
}

struct FakeProviders::Impl {
  const FakeSecrets& secrets;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread thread;

  mutable std::mutex mutex;  // guards everything below
  std::map<std::string, std::deque<FakeAnswer>> scripted;
  std::map<std::string, FakeAnswer> defaults;
  std::chrono::milliseconds delay{3000};
  std::chrono::seconds token_lifetime{7200};
  std::map<std::string, std::int64_t> tokens;  // token → expires at (Unix s); 0 = expired
  std::set<std::string> nonces;
  struct Media {
    std::string owner;  // "robot:KEY" or "app": who may send it
    std::string file_name, size, sha256;
  };
  std::map<std::string, Media> media;  // media_id -> what was uploaded
  std::vector<FakeRequest> log;
  std::string log_path;
  int issued = 0, connections = 0, in_flight = 0, peak = 0, serial = 0;
  bool keep = true;  // count_only() clears it
  long long answered = 0, accepted_total = 0;

  explicit Impl(const FakeSecrets& s) : secrets(s) {}

  FakeAnswer next_answer(const std::string& provider) {
    std::lock_guard lock(mutex);
    auto& q = scripted[provider];
    if (!q.empty()) {
      FakeAnswer a = q.front();
      q.pop_front();
      return a;
    }
    auto it = defaults.find(provider);
    return it == defaults.end() ? FakeAnswer::kSuccess : it->second;
  }

  std::string next_serial(const char* prefix) {
    std::lock_guard lock(mutex);
    return prefix + std::to_string(++serial);
  }

  // Generic answers shared by every provider; nullopt for success / rate / permanent.
  std::optional<Reply> generic(FakeAnswer a, FakeRequest& rec) {
    switch (a) {
      case FakeAnswer::kServerError:
        rec.reason = "scripted 502";
        return Reply{502, "<html>Bad Gateway</html>", {{"Content-Type", "text/html"}}};
      case FakeAnswer::kTooManyRequests:
        rec.reason = "scripted 429";
        return Reply{429, "{}", {{"Retry-After", "7"}, {"Content-Type", "application/json"}}};
      case FakeAnswer::kDrop:
        rec.reason = "scripted drop";
        return Reply{0, "", {}, true};
      case FakeAnswer::kMalformed:
        rec.reason = "scripted malformed";
        return Reply{200, "<html>系统维护中</html>", {{"Content-Type", "text/html"}}};
      default:
        return std::nullopt;
    }
  }

  Reply robot(const http::request<http::string_body>& req, FakeRequest& rec) {
    const std::string target(req.target());
    const size_t q = target.find("?key=");
    const std::string key = q == std::string::npos ? "" : percent_decode(target.substr(q + 5));
    rec.fields["key"] = key;
    const auto& keys = secrets.robot_keys;
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      rec.reason = "invalid webhook url";
      return json_reply({{"errcode", 93000}, {"errmsg", "invalid webhook url"}});
    }
    json::error_code ec;
    json::value v = json::parse(req.body(), ec);
    if (ec || !v.is_object()) {
      rec.reason = "not JSON";
      return json_reply({{"errcode", 40016}, {"errmsg", "invalid button size"}});
    }
    const json::object& o = v.as_object();
    const std::string type = str(o, "msgtype");
    const json::value* part = o.if_contains(type);
    if (type == "file") {
      if (auto r = file_message(part, "robot:" + key, rec)) return *r;
    } else {
      std::string content = part && part->is_object() ? str(part->as_object(), "content") : "";
      const size_t limit = type == "markdown" ? 4096 : 2048;
      if ((type != "text" && type != "markdown") || content.empty() || content.size() > limit) {
        rec.reason = "bad msgtype or content";
        return json_reply({{"errcode", 40008}, {"errmsg", "invalid message type"}});
      }
      rec.fields["msgtype"] = type;
      rec.fields["content"] = content;
      if (const json::value* m = part->as_object().if_contains("mentioned_mobile_list")) {
        rec.fields["mentioned_mobile_list"] = json::serialize(*m);
      }
    }
    const FakeAnswer a = next_answer("wechat_robot");
    if (auto r = generic(a, rec)) return *r;
    if (a == FakeAnswer::kRateLimit) {
      rec.reason = "45009";
      return json_reply({{"errcode", 45009}, {"errmsg", "api freq out of limit"}});
    }
    if (a == FakeAnswer::kPermanent) {
      rec.reason = "93000";
      return json_reply({{"errcode", 93000}, {"errmsg", "invalid webhook url"}});
    }
    rec.accepted = true;
    Reply r = json_reply({{"errcode", 0}, {"errmsg", "ok"}});
    if (a == FakeAnswer::kDelay) r.delay = delay;
    return r;
  }

  // {"media_id"} of a file message: one `owner` uploaded; records what the file was.
  std::optional<Reply> file_message(const json::value* part, const std::string& owner,
                                    FakeRequest& rec) {
    const std::string id =
        part && part->is_object() ? str(part->as_object(), "media_id") : std::string();
    std::lock_guard lock(mutex);
    auto it = media.find(id);
    if (it == media.end() || it->second.owner != owner) {
      rec.reason = "invalid media_id";
      return json_reply({{"errcode", 40007}, {"errmsg", "invalid media_id"}});
    }
    rec.fields["msgtype"] = "file";
    rec.fields["media_id"] = id;
    rec.fields["file_name"] = it->second.file_name;
    rec.fields["size"] = it->second.size;
    rec.fields["sha256"] = it->second.sha256;
    return std::nullopt;
  }

  // The part "media" of an upload, checked as WeChat Work does (type=file, a filename, 5 B to
  // 20 MB, filelength = size when given); records file_name, size and sha256.
  std::optional<Reply> upload_part(const http::request<http::string_body>& req, FakeRequest& rec) {
    if (query_params(std::string(req.target()))["type"] != "file") {
      rec.reason = "invalid media type";
      return json_reply({{"errcode", 40004}, {"errmsg", "invalid media type"}});
    }
    auto parts = parse_multipart(req[http::field::content_type], req.body());
    const FormPart* part = parts ? find_part(*parts, "media") : nullptr;
    if (!part || !part->file_name || part->file_name->empty()) {
      rec.reason = "media data missing";
      return json_reply({{"errcode", 41005}, {"errmsg", "media data missing"}});
    }
    const size_t size = part->data.size();
    auto length = part->params.find("filelength");
    if (size < 5 || size > 20 * 1024 * 1024 ||
        (length != part->params.end() && length->second != std::to_string(size))) {
      rec.reason = "invalid media size";
      return json_reply({{"errcode", 40006}, {"errmsg", "invalid media size"}});
    }
    rec.fields["file_name"] = *part->file_name;
    rec.fields["size"] = std::to_string(size);
    rec.fields["sha256"] = sha256_digest_hex(part->data);
    return std::nullopt;
  }

  // A successful upload: a new media_id for `owner`.
  Reply uploaded(const std::string& owner, FakeAnswer a, FakeRequest& rec) {
    std::string id;
    {
      std::lock_guard lock(mutex);
      id = "media-" + std::to_string(++serial);
      media[id] = {owner, rec.fields["file_name"], rec.fields["size"], rec.fields["sha256"]};
    }
    rec.accepted = true;
    rec.fields["media_id"] = id;
    Reply r = json_reply({{"errcode", 0},
                          {"errmsg", "ok"},
                          {"type", "file"},
                          {"media_id", id},
                          {"created_at", std::to_string(unix_now())}});
    if (a == FakeAnswer::kDelay) r.delay = delay;
    return r;
  }

  Reply robot_upload(const http::request<http::string_body>& req, FakeRequest& rec) {
    const std::string key = query_params(std::string(req.target()))["key"];
    rec.fields["key"] = key;
    const auto& keys = secrets.robot_keys;
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      rec.reason = "invalid webhook url";
      return json_reply({{"errcode", 93000}, {"errmsg", "invalid webhook url"}});
    }
    if (auto r = upload_part(req, rec)) return *r;
    const FakeAnswer a = next_answer("wechat_robot_upload");
    if (auto r = generic(a, rec)) return *r;
    if (a == FakeAnswer::kRateLimit) {
      rec.reason = "45009";
      return json_reply({{"errcode", 45009}, {"errmsg", "api freq out of limit"}});
    }
    if (a == FakeAnswer::kPermanent) {
      rec.reason = "93000";
      return json_reply({{"errcode", 93000}, {"errmsg", "invalid webhook url"}});
    }
    return uploaded("robot:" + key, a, rec);
  }

  // The access_token of a request checked as WeChat Work does; a reply when it fails.
  std::optional<Reply> check_token(const std::string& target, FakeRequest& rec) {
    const std::string token = query_params(target)["access_token"];
    std::lock_guard lock(mutex);
    if (token.empty()) {
      rec.reason = "access_token missing";
      return json_reply({{"errcode", 41001}, {"errmsg", "access_token missing"}});
    }
    auto it = tokens.find(token);
    if (it == tokens.end()) {
      rec.reason = "invalid access_token";
      return json_reply({{"errcode", 40014}, {"errmsg", "invalid access_token"}});
    }
    if (it->second <= unix_now()) {
      rec.reason = "access_token expired";
      return json_reply({{"errcode", 42001}, {"errmsg", "access_token expired"}});
    }
    return std::nullopt;
  }

  Reply app_upload(const http::request<http::string_body>& req, FakeRequest& rec) {
    if (auto r = check_token(std::string(req.target()), rec)) return *r;
    if (auto r = upload_part(req, rec)) return *r;
    const FakeAnswer a = next_answer("wechat_app_upload");
    if (auto r = generic(a, rec)) return *r;
    if (a == FakeAnswer::kRateLimit) {
      rec.reason = "45009";
      return json_reply({{"errcode", 45009}, {"errmsg", "api freq out of limit"}});
    }
    if (a == FakeAnswer::kPermanent) {
      rec.reason = "40004";
      return json_reply({{"errcode", 40004}, {"errmsg", "invalid media type"}});
    }
    return uploaded("app", a, rec);
  }

  Reply gettoken(const http::request<http::string_body>& req, FakeRequest& rec) {
    const std::string target(req.target());
    const auto q = target.find('?');
    auto params = parse_form(q == std::string::npos ? "" : target.substr(q + 1));
    if (params["corpid"] != secrets.corp_id) {
      rec.reason = "invalid corpid";
      return json_reply({{"errcode", 40013}, {"errmsg", "invalid corpid"}});
    }
    if (params["corpsecret"] != secrets.corp_secret) {
      rec.reason = "invalid credential";
      return json_reply({{"errcode", 40001}, {"errmsg", "invalid credential"}});
    }
    const FakeAnswer a = next_answer("wechat_app_token");
    if (auto r = generic(a, rec)) return *r;
    if (a == FakeAnswer::kRateLimit) {
      rec.reason = "45009";
      return json_reply({{"errcode", 45009}, {"errmsg", "api freq out of limit"}});
    }
    if (a == FakeAnswer::kPermanent) {
      rec.reason = "40001";
      return json_reply({{"errcode", 40001}, {"errmsg", "invalid credential"}});
    }
    std::lock_guard lock(mutex);
    const std::string token = "tok-" + std::to_string(++issued) + "-" + std::to_string(unix_now());
    tokens[token] = unix_now() + token_lifetime.count();
    rec.accepted = true;
    Reply r = json_reply({{"errcode", 0},
                          {"errmsg", "ok"},
                          {"access_token", token},
                          {"expires_in", token_lifetime.count()}});
    if (a == FakeAnswer::kDelay) r.delay = delay;
    return r;
  }

  Reply app_send(const http::request<http::string_body>& req, FakeRequest& rec) {
    if (auto r = check_token(std::string(req.target()), rec)) return *r;
    json::error_code ec;
    json::value v = json::parse(req.body(), ec);
    const json::object* o = ec ? nullptr : v.if_object();
    const json::value* agent = o ? o->if_contains("agentid") : nullptr;
    if (!agent || !agent->is_int64() || agent->as_int64() != secrets.agent_id) {
      rec.reason = "invalid agentid";
      return json_reply({{"errcode", 40056}, {"errmsg", "invalid agentid"}});
    }
    if (str(*o, "msgtype") == "file" && !str(*o, "touser").empty()) {
      if (auto r = file_message(o->if_contains("file"), "app", rec)) return *r;
    } else {
      const json::value* text = o->if_contains("text");
      const std::string content =
          text && text->is_object() ? str(text->as_object(), "content") : "";
      if (str(*o, "touser").empty() || str(*o, "msgtype") != "text" || content.empty() ||
          content.size() > 2048) {
        rec.reason = "bad touser, msgtype or content";
        return json_reply({{"errcode", 44004}, {"errmsg", "empty content"}});
      }
      rec.fields["content"] = content;
    }
    rec.fields["touser"] = str(*o, "touser");
    const FakeAnswer a = next_answer("wechat_app");
    if (auto r = generic(a, rec)) return *r;
    if (a == FakeAnswer::kRateLimit) {
      rec.reason = "45009";
      return json_reply({{"errcode", 45009}, {"errmsg", "api freq out of limit"}});
    }
    if (a == FakeAnswer::kPermanent) {
      rec.reason = "81013";
      return json_reply({{"errcode", 81013}, {"errmsg", "user & party & tag all invalid"}});
    }
    rec.accepted = true;
    rec.fields["answer_id"] = next_serial("msg-");
    Reply r = json_reply({{"errcode", 0},
                          {"errmsg", "ok"},
                          {"invaliduser", ""},
                          {"msgid", rec.fields["answer_id"]}});
    if (a == FakeAnswer::kDelay) r.delay = delay;
    return r;
  }

  Reply aliyun(const http::request<http::string_body>& req, FakeRequest& rec) {
    auto error = [&](int status, const std::string& code, const std::string& message) {
      rec.reason = code;
      return json_reply({{"Code", code}, {"Message", message}, {"RequestId", "req-fake"}}, status);
    };
    std::string query = req.body();
    if (req.method() == http::verb::get) {
      const std::string target(req.target());
      const auto q = target.find('?');
      query = q == std::string::npos ? "" : target.substr(q + 1);
    }
    auto p = parse_form(query);
    if (p["Action"] != "SendSms" || p["Version"] != "2017-05-25") {
      return error(400, "InvalidAction.NotFound", "Specified api is not found");
    }
    if (p["AccessKeyId"] != secrets.aliyun_key_id) {
      return error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.");
    }
    if (p["SignatureMethod"] != "HMAC-SHA1" || p["SignatureVersion"] != "1.0") {
      return error(400, "InvalidSignatureMethod", "Specified signature method is not supported");
    }
    const std::string signature = p["Signature"];
    auto unsigned_params = p;
    unsigned_params.erase("Signature");
    if (signature.empty() || aliyun_rpc_signature(std::string(req.method_string()), unsigned_params,
                                                  secrets.aliyun_secret) != signature) {
      return error(400, "SignatureDoesNotMatch",
                   "Specified signature is not matched with our calculation.");
    }
    const std::int64_t ts = parse_iso(p["Timestamp"]);
    if (ts < 0 || std::abs(ts - unix_now()) > 15 * 60) {
      return error(400, "InvalidTimeStamp.Expired",
                   "Specified time stamp or date value is expired.");
    }
    {
      std::lock_guard lock(mutex);
      if (p["SignatureNonce"].empty() || !nonces.insert(p["SignatureNonce"]).second) {
        return error(400, "SignatureNonceUsed", "Specified signature nonce was used already.");
      }
    }
    json::error_code ec;
    json::value tp = json::parse(p["TemplateParam"], ec);
    if (p["SignName"].empty()) return error(200, "isv.SMS_SIGNATURE_ILLEGAL", "签名不合法");
    if (p["TemplateCode"].empty()) return error(200, "isv.SMS_TEMPLATE_ILLEGAL", "模板不合法");
    if (ec || !tp.is_object()) return error(200, "isv.INVALID_JSON_PARAM", "JSON参数不合法");
    if (!all_digits(p["PhoneNumbers"], 11)) {
      return error(200, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号");
    }
    rec.fields = {{"phone", p["PhoneNumbers"]},
                  {"template", p["TemplateCode"]},
                  {"template_param", p["TemplateParam"]},
                  {"out_id", p["OutId"]},
                  {"sign_name", p["SignName"]}};
    const FakeAnswer a = next_answer("sms_aliyun");
    if (auto r = generic(a, rec)) return *r;
    if (a == FakeAnswer::kRateLimit) {
      return error(200, "isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1");
    }
    if (a == FakeAnswer::kPermanent) return error(200, "isv.SMS_TEMPLATE_ILLEGAL", "模板不合法");
    rec.accepted = true;
    rec.fields["answer_id"] = next_serial("biz-");
    Reply r = json_reply({{"Code", "OK"},
                          {"Message", "OK"},
                          {"BizId", rec.fields["answer_id"]},
                          {"RequestId", "r"}});
    if (a == FakeAnswer::kDelay) r.delay = delay;
    return r;
  }

  Reply tencent(const http::request<http::string_body>& req, FakeRequest& rec) {
    auto error = [&](const std::string& code, const std::string& message) {
      rec.reason = code;
      return json_reply(
          {{"Response",
            {{"Error", {{"Code", code}, {"Message", message}}}, {"RequestId", "req-fake"}}}});
    };
    if (req["X-TC-Action"] != "SendSms" || req["X-TC-Version"] != "2021-01-11") {
      return error("InvalidAction", "action or version not supported");
    }
    const std::string auth(req[http::field::authorization]);
    const std::string prefix = "TC3-HMAC-SHA256 Credential=";
    const size_t slash = auth.find('/');
    if (auth.rfind(prefix, 0) != 0 || slash == std::string::npos) {
      return error("AuthFailure.InvalidAuthorization", "Authorization is malformed");
    }
    if (auth.substr(prefix.size(), slash - prefix.size()) != secrets.tencent_secret_id) {
      return error("AuthFailure.SecretIdNotFound", "The SecretId is not found");
    }
    const std::int64_t ts = std::atoll(std::string(req["X-TC-Timestamp"]).c_str());
    if (std::abs(ts - unix_now()) > 300) {
      return error("AuthFailure.SignatureExpire", "Request has expired");
    }
    Tc3Input in;
    in.secret_id = secrets.tencent_secret_id;
    in.secret_key = secrets.tencent_secret_key;
    in.service = "sms";
    in.host = std::string(req[http::field::host]);
    in.content_type = std::string(req[http::field::content_type]);
    in.action = "SendSms";
    in.timestamp = ts;
    in.payload = req.body();
    if (tc3_authorization(in) != auth) {
      return error("AuthFailure.SignatureFailure",
                   "The provided credentials could not be validated.");
    }
    json::error_code ec;
    json::value v = json::parse(req.body(), ec);
    const json::object* o = ec ? nullptr : v.if_object();
    if (!o) return error("InvalidParameter", "body is not JSON");
    if (str(*o, "SmsSdkAppId") != secrets.tencent_app_id) {
      return error("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId does not exist");
    }
    if (str(*o, "SignName").empty() || str(*o, "TemplateId").empty()) {
      return error("MissingParameter", "SignName and TemplateId are required");
    }
    const json::value* phones = o->if_contains("PhoneNumberSet");
    const json::value* params = o->if_contains("TemplateParamSet");
    if (!phones || !phones->is_array() || phones->as_array().empty() || !params ||
        !params->is_array()) {
      return error("MissingParameter", "PhoneNumberSet and TemplateParamSet are required");
    }
    for (const auto& p : params->as_array()) {
      if (!p.is_string()) return error("InvalidParameterValue", "template params are strings");
    }
    rec.fields = {{"template", str(*o, "TemplateId")},
                  {"template_params", json::serialize(*params)},
                  {"session_context", str(*o, "SessionContext")},
                  {"sign_name", str(*o, "SignName")}};
    const FakeAnswer a = next_answer("sms_tencent");
    if (auto r = generic(a, rec)) return *r;
    json::array set;
    bool all_ok = true;
    for (const auto& ph : phones->as_array()) {
      const std::string phone = ph.is_string() ? std::string(ph.as_string()) : "";
      rec.fields["phone"] = phone;
      std::string code = "Ok", message = "send success";
      if (phone.rfind("+86", 0) != 0 || !all_digits(phone.substr(3), 11)) {
        code = "InvalidParameterValue.IncorrectPhoneNumber";
        message = "incorrect phone number";
      } else if (a == FakeAnswer::kRateLimit) {
        code = "LimitExceeded.PhoneNumberThirtySecondLimit";
        message = "the number reached the 30-second limit";
      } else if (a == FakeAnswer::kPermanent) {
        code = "FailedOperation.TemplateIncorrectOrUnapproved";
        message = "template not approved";
      }
      all_ok = all_ok && code == "Ok";
      if (code != "Ok") rec.reason = code;
      rec.fields["answer_id"] = next_serial("serial-");
      set.push_back(json::object{{"SerialNo", rec.fields["answer_id"]},
                                 {"PhoneNumber", phone},
                                 {"Fee", 1},
                                 {"SessionContext", str(*o, "SessionContext")},
                                 {"Code", code},
                                 {"Message", message},
                                 {"IsoCode", "CN"}});
    }
    rec.accepted = all_ok;
    Reply r = json_reply({{"Response", {{"SendStatusSet", set}, {"RequestId", "req-fake"}}}});
    if (a == FakeAnswer::kDelay) r.delay = delay;
    return r;
  }

  Reply webhook(const http::request<http::string_body>& req, FakeRequest& rec) {
    auto refuse = [&](int status, const std::string& why) {
      rec.reason = why;
      return json_reply({{"error", why}}, status);
    };
    if (!secrets.webhook_bearer.empty() &&
        req[http::field::authorization] != "Bearer " + secrets.webhook_bearer) {
      return refuse(401, "bad bearer token");
    }
    if (!secrets.webhook_hmac.empty()) {
      const std::int64_t ts = std::atoll(std::string(req["X-Fangfan-Timestamp"]).c_str());
      const std::string want =
          "sha256=" + hex(hmac_sha256(secrets.webhook_hmac, std::to_string(ts) + "." + req.body()));
      if (req["X-Fangfan-Signature"] != want) return refuse(401, "bad signature");
    }
    json::error_code ec;
    json::value v = json::parse(req.body(), ec);
    const json::object* o = ec ? nullptr : v.if_object();
    if (!o || !o->if_contains("outbox_id") || str(*o, "recipient").empty() ||
        str(*o, "text").empty()) {
      return refuse(400, "outbox_id, recipient and text are required");
    }
    rec.fields = {{"recipient", str(*o, "recipient")},
                  {"text", str(*o, "text")},
                  {"idempotency_key", std::string(req["Idempotency-Key"])}};
    const FakeAnswer a = next_answer("webhook");
    if (auto r = generic(a, rec)) return *r;
    if (a == FakeAnswer::kRateLimit) {
      rec.reason = "429";
      return Reply{429, "{}", {{"Retry-After", "30"}}};
    }
    if (a == FakeAnswer::kPermanent) return refuse(400, "recipient unknown");
    rec.accepted = true;
    rec.fields["answer_id"] = next_serial("hook-");
    Reply r = json_reply({{"id", rec.fields["answer_id"]}});
    if (a == FakeAnswer::kDelay) r.delay = delay;
    return r;
  }

  // A department's list endpoint: a multipart POST of list, department, period, sha256 and the
  // file, whose bytes must have that SHA-256; bearer and HMAC (the webhook's scheme over the
  // whole body) when configured.
  Reply list_receiver(const http::request<http::string_body>& req, FakeRequest& rec) {
    auto refuse = [&](int status, const std::string& why) {
      rec.reason = why;
      return json_reply({{"error", why}}, status);
    };
    if (!secrets.list_bearer.empty() &&
        req[http::field::authorization] != "Bearer " + secrets.list_bearer) {
      return refuse(401, "bad bearer token");
    }
    if (!secrets.list_hmac.empty()) {
      const std::int64_t ts = std::atoll(std::string(req["X-Fangfan-Timestamp"]).c_str());
      const std::string want =
          "sha256=" + hex(hmac_sha256(secrets.list_hmac, std::to_string(ts) + "." + req.body()));
      if (req["X-Fangfan-Signature"] != want) return refuse(401, "bad signature");
      if (std::abs(ts - unix_now()) > 300) return refuse(401, "stale timestamp");
    }
    auto parts = parse_multipart(req[http::field::content_type], req.body());
    if (!parts) return refuse(400, "not multipart/form-data");
    for (const char* name : {"list", "department", "period", "sha256"}) {
      const FormPart* p = find_part(*parts, name);
      if (!p || p->data.empty() || p->file_name) return refuse(400, std::string(name) + " missing");
      rec.fields[name] = p->data;
    }
    const FormPart* file = find_part(*parts, "file");
    if (!file || !file->file_name || file->file_name->empty()) return refuse(400, "file missing");
    rec.fields["file_name"] = *file->file_name;
    rec.fields["content_type"] = file->content_type;
    rec.fields["size"] = std::to_string(file->data.size());
    rec.fields["sha256"] = sha256_digest_hex(file->data);
    if (rec.fields["sha256"] != find_part(*parts, "sha256")->data) {
      return refuse(400, "sha256 does not match the file");
    }
    rec.fields["idempotency_key"] = std::string(req["Idempotency-Key"]);
    const FakeAnswer a = next_answer("list_http");
    if (auto r = generic(a, rec)) return *r;
    if (a == FakeAnswer::kRateLimit) {
      rec.reason = "429";
      return Reply{429, "{}", {{"Retry-After", "30"}}};
    }
    if (a == FakeAnswer::kPermanent) return refuse(403, "list not accepted here");
    rec.accepted = true;
    rec.fields["answer_id"] = next_serial("recv-");
    Reply r = json_reply({{"id", rec.fields["answer_id"]}});
    if (a == FakeAnswer::kDelay) r.delay = delay;
    return r;
  }

  // The test's own switch, not a provider's: POST /__fake/answer?provider=P&answer=A sets P's
  // default answer (an outage begins or ends while the daemon runs).
  Reply control(const std::string& target, FakeRequest& rec) {
    const auto q = target.find('?');
    auto params = parse_form(q == std::string::npos ? "" : target.substr(q + 1));
    const auto answer = parse_fake_answer(params["answer"]);
    if (params["provider"].empty() || !answer) {
      rec.reason = "provider and answer are required";
      return Reply{400, rec.reason, {}};
    }
    {
      std::lock_guard lock(mutex);
      defaults[params["provider"]] = *answer;
    }
    rec.fields = {{"provider", params["provider"]}, {"answer", params["answer"]}};
    rec.accepted = true;
    return Reply{200, "ok", {}};
  }

  // A department's data interface (数据接口): GET /dept/... answers the body published for that
  // exact target (path and query), 404 before; the bearer token is checked when configured.
  std::map<std::string, std::string> published;
  Reply department(const http::request<http::string_body>& req, FakeRequest& rec) {
    if (!secrets.department_token.empty() &&
        req[http::field::authorization] != "Bearer " + secrets.department_token) {
      rec.reason = "bad bearer token";
      return Reply{401, "{\"error\":\"unauthorized\"}", {{"Content-Type", "application/json"}}};
    }
    const FakeAnswer a = next_answer("department");
    if (auto r = generic(a, rec)) return *r;
    std::string body;
    {
      std::lock_guard lock(mutex);
      auto it = published.find(std::string(req.target()));
      if (it == published.end()) {
        rec.reason = "not published";
        return Reply{
            404, "{\"error\":\"no data for this period\"}", {{"Content-Type", "application/json"}}};
      }
      body = it->second;
    }
    rec.accepted = true;
    Reply r{200, body, {{"Content-Type", looks_json(body) ? "application/json" : "text/csv"}}};
    if (a == FakeAnswer::kDelay) r.delay = delay;
    return r;
  }
  static bool looks_json(const std::string& b) {
    const auto at = b.find_first_not_of(" \r\n\t");
    return at != std::string::npos && b[at] == '[';
  }
  // POST /__fake/publish?target=T with the data as body: what GET T answers from now on.
  Reply publish_control(const http::request<http::string_body>& req, FakeRequest& rec) {
    const std::string target(req.target());
    const auto q = target.find('?');
    auto params = parse_form(q == std::string::npos ? "" : target.substr(q + 1));
    if (params["target"].empty()) return Reply{400, "target is required", {}};
    {
      std::lock_guard lock(mutex);
      published[params["target"]] = req.body();
    }
    rec.accepted = true;
    return Reply{200, "ok", {}};
  }

  Reply route(const http::request<http::string_body>& req, FakeRequest& rec) {
    const std::string target(req.target());
    const std::string path = target.substr(0, target.find('?'));
    if (path == "/cgi-bin/webhook/send") return rec.provider = "wechat_robot", robot(req, rec);
    if (path == "/cgi-bin/webhook/upload_media") {
      return rec.provider = "wechat_robot_upload", robot_upload(req, rec);
    }
    if (path == "/cgi-bin/media/upload")
      return rec.provider = "wechat_app_upload", app_upload(req, rec);
    if (path == "/cgi-bin/gettoken") return rec.provider = "wechat_app_token", gettoken(req, rec);
    if (path == "/cgi-bin/message/send") return rec.provider = "wechat_app", app_send(req, rec);
    if (path == "/aliyun/") return rec.provider = "sms_aliyun", aliyun(req, rec);
    if (path == "/tencent/") return rec.provider = "sms_tencent", tencent(req, rec);
    if (path == "/hook") return rec.provider = "webhook", webhook(req, rec);
    if (path == "/__fake/answer") return rec.provider = "control", control(target, rec);
    if (path == "/__fake/publish") return rec.provider = "control", publish_control(req, rec);
    if (path.rfind("/dept/", 0) == 0) return rec.provider = "department", department(req, rec);
    if (path.rfind("/lists/", 0) == 0) return rec.provider = "list_http", list_receiver(req, rec);
    rec.reason = "no such path";
    return Reply{404, "not found", {}};
  }

  void record(FakeRequest& rec) {
    std::lock_guard lock(mutex);
    ++answered;
    if (rec.accepted) ++accepted_total;
    if (keep) log.push_back(std::move(rec));
    if (!log_path.empty()) {
      std::ofstream out(log_path, std::ios::app);
      out << json::serialize(to_json(keep ? log.back() : rec)) << "\n";
    }
  }

  asio::awaitable<void> session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      // Files up to WeChat Work's 20 MB (Beast's default limit for a request is 1 MB).
      http::request_parser<http::string_body> parser;
      parser.body_limit(32 * 1024 * 1024);
      auto [ec, n] =
          co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      http::request<http::string_body> req = parser.release();
      {
        std::lock_guard lock(mutex);
        peak = std::max(peak, ++in_flight);
      }
      FakeRequest rec;
      rec.method = std::string(req.method_string());
      rec.target = std::string(req.target());
      bool keep_copy = false;
      {
        std::lock_guard lock(mutex);
        keep_copy = keep || !log_path.empty();
      }
      if (keep_copy) {  // what a test reads back; a counting bench needs none of it
        rec.body = req.body();
        for (const auto& f : req) {
          std::string name(f.name_string());
          for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
          rec.headers[name] = std::string(f.value());
        }
      }
      Reply reply = route(req, rec);
      if (reply.delay.count() > 0) {
        asio::steady_timer t(stream.get_executor(), reply.delay);
        co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
      }
      record(rec);
      {
        std::lock_guard lock(mutex);
        --in_flight;
      }
      if (reply.drop) {
        beast::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        co_return;
      }
      http::response<http::string_body> res{http::status(reply.status), req.version()};
      for (const auto& [k, v] : reply.headers) res.set(k, v);
      res.body() = reply.body;
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      auto [wec, wn] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
      if (wec || !req.keep_alive()) co_return;
    }
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      {
        std::lock_guard lock(mutex);
        ++connections;
      }
      asio::co_spawn(io, session(std::move(socket)), asio::detached);
    }
  }
};

FakeProviders::FakeProviders(FakeSecrets secrets, unsigned short port)
    : secrets_(std::move(secrets)), impl_(std::make_unique<Impl>(secrets_)) {
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

FakeProviders::~FakeProviders() {
  impl_->io.stop();
  impl_->thread.join();
}

unsigned short FakeProviders::port() const { return impl_->acceptor.local_endpoint().port(); }

std::string FakeProviders::base_url() const { return "http://127.0.0.1:" + std::to_string(port()); }

void FakeProviders::script(const std::string& provider, FakeAnswer answer, int times) {
  std::lock_guard lock(impl_->mutex);
  for (int i = 0; i < times; ++i) impl_->scripted[provider].push_back(answer);
}

void FakeProviders::set_default(const std::string& provider, FakeAnswer answer) {
  std::lock_guard lock(impl_->mutex);
  impl_->defaults[provider] = answer;
}

void FakeProviders::set_delay(std::chrono::milliseconds delay) {
  std::lock_guard lock(impl_->mutex);
  impl_->delay = delay;
}

void FakeProviders::publish(const std::string& target, const std::string& body) {
  std::lock_guard lock(impl_->mutex);
  impl_->published[target] = body;
}

void FakeProviders::set_token_lifetime(std::chrono::seconds lifetime) {
  std::lock_guard lock(impl_->mutex);
  impl_->token_lifetime = lifetime;
}

void FakeProviders::expire_tokens() {
  std::lock_guard lock(impl_->mutex);
  for (auto& [token, expires] : impl_->tokens) expires = 0;
}

void FakeProviders::log_to(const std::string& path) {
  std::lock_guard lock(impl_->mutex);
  impl_->log_path = path;
}

void FakeProviders::count_only() {
  std::lock_guard lock(impl_->mutex);
  impl_->keep = false;
  impl_->log.clear();
}

long long FakeProviders::request_count() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->answered;
}

long long FakeProviders::accepted_count() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->accepted_total;
}

std::vector<FakeRequest> FakeProviders::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->log;
}

std::vector<FakeRequest> FakeProviders::accepted(const std::string& provider) const {
  std::lock_guard lock(impl_->mutex);
  std::vector<FakeRequest> out;
  for (const auto& r : impl_->log) {
    if (r.accepted && r.provider == provider) out.push_back(r);
  }
  return out;
}

int FakeProviders::tokens_issued() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->issued;
}

int FakeProviders::connections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->connections;
}

int FakeProviders::peak_in_flight() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->peak;
}

}  // namespace fangfan::testing
