#include "adapters/feeds/http_pull.h"

#include <algorithm>

namespace fangfan {

std::string feed_url(const FeedSource& source, std::string_view period) {
  // A period is "YYYY-MM" (a feedback feed's "YYYY-MM-DD"): nothing in it needs encoding.
  std::string out = source.url;
  for (std::size_t at = out.find("{period}"); at != std::string::npos;
       at = out.find("{period}", at + period.size())) {
    out.replace(at, 8, period);
  }
  return out;
}

bool looks_like_json_array(std::string_view body) {
  for (char c : body) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '[';
  }
  return false;
}

boost::asio::awaitable<PullResult> pull_feed(HttpClient& client, const FeedSource& source,
                                             std::string_view period, PullWait wait,
                                             std::chrono::milliseconds timeout,
                                             const Clock& clock) {
  HttpRequest request;
  request.method = "GET";
  request.url = feed_url(source, period);
  request.timeout = timeout;
  if (!source.token.empty()) {
    request.headers.emplace_back(source.token_header, source.token_header == "Authorization"
                                                          ? "Bearer " + source.token
                                                          : source.token);
  }
  request.headers.emplace_back("Accept", "application/json, text/csv, */*");
  const std::string shown = redact_url(request.url);
  const int attempts = std::max(1, source.attempts);
  std::string last;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    HttpResponse r = co_await client.send(request);
    std::chrono::milliseconds pause{1000 << std::min(attempt - 1, 6)};
    if (r.ok()) {
      // Named results: GCC 12 destroys a braced aggregate in co_return twice.
      if (r.status == 200) {
        PullResult data = PulledData{shown, std::move(r.body), attempt};
        co_return data;
      }
      if (r.status == 204 || r.status == 404) {
        PullResult not_yet = PullNotYet{"部门接口尚未提供本期数据 (" + shown + " answered " +
                                        std::to_string(r.status) + ")"};
        co_return not_yet;
      }
      const bool transient = r.status == 408 || r.status == 429 || r.status >= 500;
      last = "部门接口返回 HTTP " + std::to_string(r.status) + " (" + shown + ")";
      if (!transient) {
        PullResult failed = PullFailed{last, attempt};
        co_return failed;
      }
      if (auto after = r.header("retry-after")) {
        if (auto s = parse_retry_after(*after, clock.now())) {
          pause = std::min<std::chrono::milliseconds>(*s, std::chrono::seconds(60));
        }
      }
    } else {
      if (r.transport == HttpResponse::Transport::kCancelled ||
          r.transport == HttpResponse::Transport::kShutdown) {
        PullResult failed =
            PullFailed{"取数被中止 (the pull was cancelled: " + r.error + ")", attempt};
        co_return failed;
      }
      last = "无法从部门接口取数 (" + r.error + ")";
    }
    if (attempt < attempts) co_await wait(pause);
  }
  PullResult failed = PullFailed{last + "，已尝试 " + std::to_string(attempts) + " 次 (after " +
                                     std::to_string(attempts) + " attempts)",
                                 attempts};
  co_return failed;
}

}  // namespace fangfan
