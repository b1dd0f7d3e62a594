// fangfanctl's side of the HTTP API: where the daemon is, which token to send,
// and one blocking request and answer.
//
// The address and the token are taken from the first place that has them:
//   1. --api ADDR:PORT and --token TOKEN among the command's words
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
#pragma once

#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
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
  std::string host;  // as given ("127.0.0.1", "::1", a name)
  std::string port;
  std::string token;   // may be empty
  std::string origin;  // where the address came from, for messages ("--api", "FANGFAN_API", ...)
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
// when there is one); the raw body when it is not the API's JSON.
std::string api_error_message(const HttpReply& reply);

// "138****5678" for an 11-digit mainland mobile number; anything else unchanged.
std::string mask_phone(const std::string& text);

// Terminal columns `text` (UTF-8) takes: CJK and full-width characters count two.
std::size_t display_width(const std::string& text);

// A plain text table: columns padded to their widest cell, two spaces apart,
// the last column unpadded. REQUIRES: every row has header.size() cells.
void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

}  // namespace fangfan
