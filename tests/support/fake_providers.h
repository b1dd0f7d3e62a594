// Fake gateways for tests: one loopback Beast HTTP server (port 0 or given)
// that speaks each provider's protocol and checks requests the way the
// provider does, then answers what the test asked for.
//
//   path                     provider       checks
//   /cgi-bin/webhook/send    wechat_robot   key known, JSON msgtype text|markdown, content, size;
//                                           msgtype file: a media_id this key uploaded
//   /cgi-bin/webhook/upload_media           key known, type=file, multipart part "media" with a
//                            wechat_robot_upload  filename, 5 B..20 MB, filelength = size
//   /cgi-bin/gettoken        wechat_app     corpid and corpsecret; issues tokens with a lifetime
//                            wechat_app_token   (scripted as its own provider)
//   /cgi-bin/message/send    wechat_app     token known and unexpired (41001/40014/42001),
//                                           agentid, touser, msgtype text, content; msgtype
//                                           file: a media_id the application uploaded
//   /cgi-bin/media/upload    wechat_app_upload  token as message/send, type=file, part "media"
//                                           as upload_media
//   /aliyun/                 sms_aliyun     Action, Version, AccessKeyId, HMAC-SHA1 signature
//                                           recomputed from the secret, nonce unused, timestamp
//                                           within 15 min, phone, template, OutId
//   /tencent/                sms_tencent    X-TC-* headers, TC3 signature recomputed from the
//                                           secret, timestamp within 5 min, SmsSdkAppId, phones
//   /hook                    webhook        JSON fields, bearer token and HMAC when configured
//   /lists/...               list_http      a department's list endpoint: multipart fields list,
//                                           department, period, sha256 and the part "file" whose
//                                           SHA-256 must be the sha256 field; bearer and HMAC
//                                           (as the webhook) when configured
//   /dept/...                department     a department's data interface (feeds): answers the
//                                           body published for the exact target, else 404;
//                                           bearer token when configured
//   /__fake/answer           (control)      ?provider=P&answer=A: P's default answer from now on
//                                           (for process tests: an outage starts or ends)
//   /__fake/publish          (control)      POST ?target=T: GET T answers the body from now on
//
// A request that fails a check gets the provider's own error answer and is
// recorded with accepted = false and the reason. One that passes gets the
// next scripted answer for its provider (default: success) and is recorded;
// accepted = true only when it was answered with success.
// A file received (upload or list) is recorded in fields file_name, size and sha256 (of the
// bytes received), so a test can check that it arrived intact.
//
// Thread-safety: the server runs on its own thread; every public method may be
// called from any thread. Not for production.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fangfan::testing {

enum class FakeAnswer {
  kSuccess,
  kRateLimit,        // the provider's rate-limit answer (45009, isv.BUSINESS_LIMIT_CONTROL, ...)
  kPermanent,        // a permanent refusal (93000/81013, bad template, incorrect number, 400)
  kServerError,      // HTTP 502
  kTooManyRequests,  // HTTP 429 with Retry-After: 7
  kDelay,            // success after delay() (beyond the client's timeout in tests)
  kDrop,             // close the connection without an answer
  kMalformed,        // HTTP 200 whose body is not the provider's JSON (a proxy's page)
};

struct FakeSecrets {
  std::vector<std::string> robot_keys = {"robot-key-town-1", "robot-key-county"};
  std::string corp_id = "ww-fake-corp";
  std::string corp_secret = "fake-corp-secret";
  std::int64_t agent_id = 1000002;
  std::string aliyun_key_id = "fake-aliyun-id";
  std::string aliyun_secret = "fake-aliyun-secret";
  std::string tencent_secret_id = "AKIDfake";
  std::string tencent_secret_key = "fake-tencent-key";
  std::string tencent_app_id = "1400000001";
  std::string webhook_bearer;    // checked when not empty
  std::string webhook_hmac;      // checked when not empty
  std::string department_token;  // /dept/: bearer checked when not empty
  std::string list_bearer;       // /lists/: bearer checked when not empty
  std::string list_hmac;         // /lists/: X-Fangfan-Signature checked when not empty
};

struct FakeRequest {
  std::string provider;  // "wechat_robot", "wechat_app_token", "wechat_app", "sms_aliyun", ...
  std::string method;
  std::string target;                          // path and query
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  bool accepted = false;  // passed every check and answered success
  std::string reason;     // why it was refused, or the scripted answer given
  // What the provider took from it: e.g. phone, template, out_id, content, touser, key; and
  // answer_id, the message id it answered with (msgid, BizId, SerialNo, the webhook's id).
  std::map<std::string, std::string> fields;
};

class FakeProviders {
 public:
  explicit FakeProviders(FakeSecrets secrets = {}, unsigned short port = 0);
  ~FakeProviders();
  FakeProviders(const FakeProviders&) = delete;
  FakeProviders& operator=(const FakeProviders&) = delete;

  unsigned short port() const;
  std::string base_url() const;  // "http://127.0.0.1:PORT"
  const FakeSecrets& secrets() const { return secrets_; }

  // The next `times` checked requests of `provider` get `answer`; afterwards
  // the default answer (success unless set_default says otherwise).
  void script(const std::string& provider, FakeAnswer answer, int times = 1);
  void set_default(const std::string& provider, FakeAnswer answer);
  void set_delay(std::chrono::milliseconds delay);
  // /dept/: GET `target` (path and query) answers `body` from now on.
  void publish(const std::string& target, const std::string& body);
  // wechat_app: tokens issued from now on live this long (default 7200 s).
  void set_token_lifetime(std::chrono::seconds lifetime);
  // wechat_app: every token issued so far is expired from now on (42001).
  void expire_tokens();
  // A line of JSON per request to this file (for process tests); "" = none.
  void log_to(const std::string& path);
  // Benchmarks: every request is still checked and answered, but only counted, not kept
  // (requests() and accepted() stay empty; memory stays flat over millions of requests).
  void count_only();

  std::vector<FakeRequest> requests() const;
  std::vector<FakeRequest> accepted(const std::string& provider) const;
  int tokens_issued() const;
  // Requests answered so far, kept or only counted, and how many of them were accepted.
  long long request_count() const;
  long long accepted_count() const;
  int connections() const;     // TCP connections accepted so far
  int peak_in_flight() const;  // most requests being answered at once

 private:
  struct Impl;
  FakeSecrets secrets_;
  std::unique_ptr<Impl> impl_;
};

// "success", "rate_limit", "permanent", "server_error", "too_many_requests", "delay", "drop".
std::optional<FakeAnswer> parse_fake_answer(std::string_view name);

// The JSON line log_to() writes for one request (a multipart body is summarised, not copied).
boost::json::value to_json(const FakeRequest& request);

}  // namespace fangfan::testing
