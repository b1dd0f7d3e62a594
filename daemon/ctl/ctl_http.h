// fangfanctl's side of the HTTP API: where the daemon is, which token to send,
// and one blocking request and answer.
//
// The address and the token are taken from the first place that has them:
//   1. --api ADDR:PORT (or --api unix:/path/to/fangfan.sock, the daemon's [api]
//      socket) and --token TOKEN among the command's words
//   2. the environment: FANGFAN_API, FANGFAN_TOKEN
//   3. the file ~/.config/fangfan/ctl.toml ($XDG_CONFIG_HOME/fangfan/ctl.toml):
//        api = "127.0.0.1:8470"
//        token = "fft_..."
//      (any other key is an error; keep the file readable by its owner only)
//   4. the address only: [api] listen of the daemon's configuration (--config),
//      else 127.0.0.1:8470. A wildcard listen address (0.0.0.0, [::]) is reached
//      on loopback.
// A missing token is not an error here: the server answers 401 with its message.
//
// Errors are values: a sentence for the operator naming the flag, variable or
// file at fault. Thread-safety: none needed (one command at a time).
//
// The bottom half (namespace ctl) is the plumbing every API command shares: its
// flags, its input files, one call that prints the server's sentence on failure
// and the answer itself under --json, and the exit codes.
#pragma once

#include <boost/beast/http/verb.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace fangfan {

struct CtlEnvironment {
  // Reads an environment variable; nullopt when unset or empty.
  std::function<std::optional<std::string>(const std::string&)> getenv;
  std::filesystem::path ctl_file;                      // ctl.toml; need not exist
  std::optional<std::filesystem::path> daemon_config;  // the daemon's configuration file

  // The real process environment and the ctl.toml path under $XDG_CONFIG_HOME or $HOME.
  static CtlEnvironment from_process(std::optional<std::filesystem::path> daemon_config);
};

struct ApiTarget {
  std::string host;       // as given ("127.0.0.1", "::1", a name); empty for a Unix socket
  std::string port;       // empty for a Unix socket
  std::string unix_path;  // set for unix:PATH: host and port are then unused
  std::string token;      // may be empty
  std::string origin;     // where the address came from, for messages ("--api", "FANGFAN_API", ...)

  // "HOST:PORT" or "unix:PATH", for messages.
  std::string where() const { return unix_path.empty() ? host + ":" + port : "unix:" + unix_path; }
};

// Takes --api/--token (and their values) out of `args` and resolves the rest
// as above.
std::variant<ApiTarget, std::string> resolve_api_target(std::vector<std::string>& args,
                                                        const CtlEnvironment& env);

struct HttpReply {
  unsigned status = 0;
  std::string body;
};

// One request to the API; `body`, when not empty, is sent as JSON. Returns the
// answer whatever its status, or a sentence when the daemon cannot be reached
// or does not answer within `timeout`.
std::variant<HttpReply, std::string> http_call(
    const ApiTarget& target, boost::beast::http::verb method, const std::string& path,
    const std::string& body = "", std::chrono::milliseconds timeout = std::chrono::seconds(30));

// The server's sentence from an error answer ({"message": ...}, plus the field
// when there is one and a refusal's code); the raw body when it is not the API's JSON.
std::string api_error_message(const HttpReply& reply);

// Terminal columns `text` (UTF-8) takes: CJK and full-width characters count two.
std::size_t display_width(const std::string& text);

// A plain text table: columns padded to their widest cell, two spaces apart,
// the last column unpadded. REQUIRES: every row has header.size() cells.
void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

namespace ctl {

// Exit status of every API command: done, refused or unreachable, usage error.
constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;

// Takes the switch `name` out of `args`; true when it was there.
bool take_switch(std::vector<std::string>& args, const std::string& name);
// Takes "NAME VALUE" out of `args`; nullopt when absent; sets `problem` when VALUE is missing.
std::optional<std::string> take_option(std::vector<std::string>& args, const std::string& name,
                                       std::string& problem);
// resolve_api_target(), printing the problem to `err` ("fangfanctl: ...") when there is one.
std::optional<ApiTarget> target_or_report(std::vector<std::string>& args, const CtlEnvironment& env,
                                          std::ostream& err);
// A file's bytes ("-" is standard input); prints why and returns nullopt when unreadable.
std::optional<std::string> read_input(const std::string& name, std::ostream& err);
// "?a=1&b=x%20y" from name/value pairs, values percent-encoded; "" when `pairs` is empty.
std::string query_string(const std::vector<std::pair<std::string, std::string>>& pairs);
// A member as text: strings as they are, other values as JSON, absent or null as "".
std::string json_text(const boost::json::object& o, const char* key);

// Sends the request. A 2xx answer that is a JSON object is returned (and written to `out` as
// it came when `raw_json`); otherwise the reason — the server's own sentence for an error
// answer — goes to `err` as "fangfanctl: ..." and the result is nullopt. `timeout`: longer for
// the requests that run a whole job (a feed run, advancing or simulating a clock).
std::optional<boost::json::object> call(
    const ApiTarget& target, boost::beast::http::verb method, const std::string& path,
    const std::string& body, bool raw_json, std::ostream& out, std::ostream& err,
    std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace ctl

}  // namespace fangfan
