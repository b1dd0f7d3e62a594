#include "adapters/http/http_client.h"

#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace fangfan {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  const std::string n = lower(name);
  for (const auto& [k, v] : headers) {
    if (k == n) return v;
  }
  return std::nullopt;
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now) {
  const std::string v = trim(value);
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (v.size() > 9) return std::chrono::seconds(999999999);
    return std::chrono::seconds(std::stol(v));
  }
  // An HTTP date: "Sun, 06 Nov 1994 08:49:37 GMT" (curl parses every form HTTP allows).
  const time_t t = curl_getdate(v.c_str(), nullptr);
  if (t < 0) return std::nullopt;
  const auto wait = std::chrono::system_clock::from_time_t(t) - now;
  return std::max(std::chrono::seconds(0), std::chrono::duration_cast<std::chrono::seconds>(wait));
}

std::string redact_url(std::string_view url) {
  const size_t cut = url.find_first_of("?#");
  std::string_view base = url.substr(0, cut);
  // Userinfo ("user:password@host") is a secret too.
  const size_t scheme = base.find("://");
  const size_t host_start = scheme == std::string_view::npos ? 0 : scheme + 3;
  const size_t path_start = base.find('/', host_start);
  const size_t at = base.substr(0, path_start).find('@', host_start);
  std::string out;
  if (at != std::string_view::npos) {
    out = std::string(base.substr(0, host_start)) + std::string(base.substr(at + 1));
  } else {
    out = std::string(base);
  }
  if (cut != std::string_view::npos && url[cut] == '?') out += "?…";
  return out;
}

// One request on its way: owned by the worker from submit to completion.
struct Transfer {
  std::uint64_t id = 0;
  HttpRequest request;
  HttpClient::Completion done;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  HttpResponse response;
  char error_buffer[CURL_ERROR_SIZE] = {0};

  ~Transfer() {
    if (headers) curl_slist_free_all(headers);
    if (easy) curl_easy_cleanup(easy);
  }
  // The easy handle, for the next request (curl keeps its buffers and connection cache links).
  CURL* release_easy() { return std::exchange(easy, nullptr); }
};

struct HttpClient::Impl {
  HttpClientOptions options;
  CURLM* multi = nullptr;
  // The worker waits in epoll on the sockets curl names (CURLMOPT_SOCKETFUNCTION) and on
  // `wake_fd`, and tells curl only about the sockets that are ready (curl_multi_socket_action):
  // curl_multi_poll/perform looked at every connection on every turn.
  int epoll_fd = -1;
  int wake_fd = -1;      // an eventfd: submit, cancel and shutdown write to it
  long timeout_ms = -1;  // curl's timer (CURLMOPT_TIMERFUNCTION); -1 = none
  std::chrono::steady_clock::time_point timer_at;
  struct Watch {
    std::uint32_t events = 0;  // as registered with epoll
    bool parked = false;       // curl let go of it (a kept-alive connection between requests)
  };
  std::unordered_map<int, Watch> watched;  // socket -> what epoll watches
  std::thread worker;
  std::atomic<std::uint64_t> next_id{1};
  std::atomic<std::int64_t> connections{0};
  std::atomic<int> peak{0};

  std::mutex mutex;  // guards the three below
  std::deque<std::unique_ptr<Transfer>> queued;
  std::vector<std::uint64_t> cancels;
  bool stopping = false;

  std::map<std::uint64_t, std::unique_ptr<Transfer>> running;  // worker thread only
  std::deque<std::unique_ptr<Transfer>> waiting;               // worker thread only
  // Finished requests' easy handles, reused (worker thread only): making and freeing one per
  // request was a good part of the client's cost per request. They keep the options every
  // request shares (new_easy) and only what differs is set per request (start).
  std::vector<CURL*> spare;

  ~Impl() {
    for (CURL* e : spare) curl_easy_cleanup(e);
    if (epoll_fd >= 0) ::close(epoll_fd);
    if (wake_fd >= 0) ::close(wake_fd);
  }

  void wake() const {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(wake_fd, &one, sizeof one);
  }

  // curl: watch `s` for `what` (or stop watching it). A socket curl lets go of (a kept-alive
  // connection between requests) stays registered ("parked"): curl takes it up again with the
  // next request, and mostly for reading, as it was left, so then no system call is needed (it
  // was a MOD to no events at the end of each request and one back at the next). A parked
  // socket left watching for writing, which would wake the loop at once, watches nothing.
  // curl closes its sockets through on_close, which forgets them: a number in `watched` is
  // always a socket registered with epoll.
  static int on_socket(CURL*, curl_socket_t s, int what, void* user, void*) {
    auto* impl = static_cast<Impl*>(user);
    std::uint32_t want = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) want |= EPOLLIN;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) want |= EPOLLOUT;
    auto it = impl->watched.find(s);
    if (want == 0) {  // CURL_POLL_REMOVE
      if (it == impl->watched.end()) return 0;
      it->second.parked = true;
      if ((it->second.events & EPOLLOUT) == 0) return 0;
    } else if (it != impl->watched.end() && it->second.events == want) {
      it->second.parked = false;
      return 0;
    }
    epoll_event ev{};
    ev.events = want;
    ev.data.fd = s;
    const int op = it == impl->watched.end() ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    if (::epoll_ctl(impl->epoll_fd, op, s, &ev) != 0) {
      // Registered already (ADD), or forgotten by epoll (MOD): the other one.
      if (errno == ENOENT) ::epoll_ctl(impl->epoll_fd, EPOLL_CTL_ADD, s, &ev);
      if (errno == EEXIST) ::epoll_ctl(impl->epoll_fd, EPOLL_CTL_MOD, s, &ev);
    }
    Watch& w = impl->watched[s];
    w.events = want;
    w.parked = want == 0;
    return 0;
  }

  // curl closes a socket (CURLOPT_CLOSESOCKETFUNCTION): closing takes it out of epoll, and it
  // leaves `watched`, or a new socket given the same number would be taken for registered.
  static int on_close(void* user, curl_socket_t s) {
    static_cast<Impl*>(user)->watched.erase(s);
    return ::close(s);
  }

  // An event on a parked socket is only a hang-up, an error or data nobody asked for: curl finds
  // that out itself when it takes the connection up again; it leaves epoll so that it cannot
  // wake the loop for ever.
  void unpark(int fd) {
    ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
    watched.erase(fd);
  }

  // curl: call back (socket_action with CURL_SOCKET_TIMEOUT) in `ms` (-1: no timer).
  static int on_timer(CURLM*, long ms, void* user) {
    auto* impl = static_cast<Impl*>(user);
    impl->timeout_ms = ms;
    if (ms >= 0) impl->timer_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    return 0;
  }

  // Milliseconds epoll may wait: until curl's timer, at most a second.
  int wait_ms() const {
    if (timeout_ms < 0) return 1000;
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(timer_at - std::chrono::steady_clock::now());
    return int(std::clamp<long long>(left.count(), 0, 1000));
  }

  void act(curl_socket_t s, int events) {
    int still = 0;
    curl_multi_socket_action(multi, s, events, &still);
  }

  void read_done() {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      Transfer* t = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
      finish(t, msg->data.result);
    }
  }

  // An easy handle with the options that are the same for every request. Not reset on reuse:
  // curl_easy_reset freed and rebuilt curl's state of the handle and these options were then
  // set again for every request; start() sets every option that differs between requests, the
  // method's ones included.
  CURL* new_easy() {
    CURL* e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, &Impl::on_close);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, this);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Impl::on_body);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Impl::on_header);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_USERAGENT, "fangfan");
    return e;
  }

  CURL* take_easy() {
    if (spare.empty()) return new_easy();
    CURL* e = spare.back();
    spare.pop_back();
    return e;
  }

  // Back to the spares once curl no longer holds it (at most max_in_flight are kept).
  void keep_easy(Transfer& t) {
    if (t.easy == nullptr || int(spare.size()) >= options.max_in_flight) return;
    spare.push_back(t.release_easy());
  }

  static size_t on_body(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    t->response.body.append(data, size * n);
    return size * n;
  }

  static size_t on_header(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    std::string_view line(data, size * n);
    if (line.rfind("HTTP/", 0) == 0) {
      t->response.headers.clear();  // a new response (after 100 Continue): start over
      return size * n;
    }
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      t->response.headers.emplace_back(lower(trim(line.substr(0, colon))),
                                       trim(line.substr(colon + 1)));
    }
    return size * n;
  }

  void start(std::unique_ptr<Transfer> t) {
    t->easy = take_easy();
    CURL* e = t->easy;
    const HttpRequest& r = t->request;
    curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, long(r.timeout.count()));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     long(std::min(options.connect_timeout, r.timeout).count()));
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error_buffer);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
    curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
    // A reused handle still holds the previous request's method and body: each is set anew.
    // (Setting POSTFIELDS makes the handle a POST, hence HTTPGET after it for a GET.)
    if (r.method == "GET") {
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, nullptr);
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, -1L);
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, nullptr);
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else {
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method == "POST" ? nullptr : r.method.c_str());
      curl_easy_setopt(e, CURLOPT_POST, 1L);
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, long(r.body.size()));
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.c_str());
    }
    // No "Expect: 100-continue" round trip: gateways answer the whole request.
    t->headers = curl_slist_append(t->headers, "Expect:");
    for (const auto& [k, v] : r.headers) {
      t->headers = curl_slist_append(t->headers, (k + ": " + v).c_str());
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_multi_add_handle(multi, e);
    const std::uint64_t id = t->id;
    running.emplace(id, std::move(t));
    peak = std::max(peak.load(), int(running.size()));
  }

  void finish(Transfer* raw, CURLcode code) {
    auto it = running.find(raw->id);
    std::unique_ptr<Transfer> t = std::move(it->second);
    running.erase(it);
    curl_multi_remove_handle(multi, t->easy);
    long opened = 0;
    curl_easy_getinfo(t->easy, CURLINFO_NUM_CONNECTS, &opened);
    connections += opened;
    HttpResponse& r = t->response;
    if (code == CURLE_OK) {
      long status = 0;
      curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
      r.status = int(status);
      r.transport = HttpResponse::Transport::kOk;
    } else {
      const std::string where = redact_url(t->request.url);
      const std::string detail = t->error_buffer[0] ? t->error_buffer : curl_easy_strerror(code);
      r.status = 0;
      r.body.clear();
      switch (code) {
        case CURLE_COULDNT_CONNECT:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
          r.transport = HttpResponse::Transport::kConnect;
          r.error = "cannot connect to " + where + ": " + detail;
          break;
        case CURLE_OPERATION_TIMEDOUT:
          r.transport = HttpResponse::Transport::kTimeout;
          r.error = "no answer from " + where + " within " +
                    std::to_string(t->request.timeout.count()) + " ms";
          break;
        case CURLE_GOT_NOTHING:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_PARTIAL_FILE:
          r.transport = HttpResponse::Transport::kDropped;
          r.error = "the connection to " + where + " broke before a complete answer: " + detail;
          break;
        default:
          r.transport = HttpResponse::Transport::kOther;
          r.error = "request to " + where + " failed: " + detail;
          break;
      }
    }
    keep_easy(*t);
    complete(std::move(t));
  }

  static void complete(std::unique_ptr<Transfer> t) {
    auto done = std::move(t->done);
    HttpResponse response = std::move(t->response);
    t.reset();  // free curl's handle before the awaiting coroutine goes on
    done(std::move(response));
  }

  static void fail(std::unique_ptr<Transfer> t, HttpResponse::Transport kind,
                   const std::string& why) {
    t->response = HttpResponse{};
    t->response.transport = kind;
    t->response.error = why;
    complete(std::move(t));
  }

  void abandon(std::unique_ptr<Transfer> t, HttpResponse::Transport kind, const std::string& why) {
    if (t->easy) curl_multi_remove_handle(multi, t->easy);
    const std::string sentence = why + " (" + redact_url(t->request.url) + ")";
    fail(std::move(t), kind, sentence);
  }

  void run() {
    for (;;) {
      std::deque<std::unique_ptr<Transfer>> fresh;
      std::vector<std::uint64_t> cancelled;
      bool stop = false;
      {
        std::lock_guard lock(mutex);
        fresh.swap(queued);
        cancelled.swap(cancels);
        stop = stopping;
      }
      for (auto& t : fresh) waiting.push_back(std::move(t));
      for (std::uint64_t id : cancelled) {
        if (auto it = running.find(id); it != running.end()) {
          auto t = std::move(it->second);
          running.erase(it);
          abandon(std::move(t), HttpResponse::Transport::kCancelled, "the request was cancelled");
        } else if (auto w = std::find_if(waiting.begin(), waiting.end(),
                                         [id](const auto& t) { return t->id == id; });
                   w != waiting.end()) {
          auto t = std::move(*w);
          waiting.erase(w);
          abandon(std::move(t), HttpResponse::Transport::kCancelled, "the request was cancelled");
        }
      }
      if (stop) break;
      while (!waiting.empty() && int(running.size()) < options.max_in_flight) {
        auto t = std::move(waiting.front());
        waiting.pop_front();
        start(std::move(t));
      }
      // curl asks for an immediate call (a request just added) through a zero timer.
      if (timeout_ms == 0) {
        timeout_ms = -1;
        act(CURL_SOCKET_TIMEOUT, 0);
        read_done();
        if (!waiting.empty() && int(running.size()) < options.max_in_flight) continue;
      }
      epoll_event events[64];
      const int n = ::epoll_wait(epoll_fd, events, 64, wait_ms());
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == wake_fd) {
          std::uint64_t count = 0;
          [[maybe_unused]] const auto r = ::read(wake_fd, &count, sizeof count);
          continue;
        }
        if (auto w = watched.find(fd); w != watched.end() && w->second.parked) {
          unpark(fd);
          continue;
        }
        int flags = 0;
        if (events[i].events & EPOLLIN) flags |= CURL_CSELECT_IN;
        if (events[i].events & EPOLLOUT) flags |= CURL_CSELECT_OUT;
        if (events[i].events & (EPOLLERR | EPOLLHUP)) flags |= CURL_CSELECT_ERR;
        act(fd, flags);
      }
      if (timeout_ms >= 0 && std::chrono::steady_clock::now() >= timer_at) {
        timeout_ms = -1;
        act(CURL_SOCKET_TIMEOUT, 0);
      }
      read_done();
    }
    // Shutdown: everything not answered yet gets an answer now.
    while (!running.empty()) {
      auto t = std::move(running.begin()->second);
      running.erase(running.begin());
      abandon(std::move(t), HttpResponse::Transport::kShutdown,
              "the daemon stopped before the gateway answered");
    }
    std::deque<std::unique_ptr<Transfer>> rest;
    {
      std::lock_guard lock(mutex);
      rest.swap(queued);
    }
    for (auto& t : rest) waiting.push_back(std::move(t));
    while (!waiting.empty()) {
      auto t = std::move(waiting.front());
      waiting.pop_front();
      abandon(std::move(t), HttpResponse::Transport::kShutdown,
              "the daemon stopped before the request was sent");
    }
  }
};

HttpClient::HttpClient(HttpClientOptions options) : impl_(std::make_unique<Impl>()) {
  global_init();
  impl_->options = options;
  impl_->options.max_in_flight = std::max(1, options.max_in_flight);
  impl_->multi = curl_multi_init();
  impl_->epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  impl_->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event wake_event{};
  wake_event.events = EPOLLIN;
  wake_event.data.fd = impl_->wake_fd;
  ::epoll_ctl(impl_->epoll_fd, EPOLL_CTL_ADD, impl_->wake_fd, &wake_event);
  curl_multi_setopt(impl_->multi, CURLMOPT_SOCKETFUNCTION, &Impl::on_socket);
  curl_multi_setopt(impl_->multi, CURLMOPT_SOCKETDATA, impl_.get());
  curl_multi_setopt(impl_->multi, CURLMOPT_TIMERFUNCTION, &Impl::on_timer);
  curl_multi_setopt(impl_->multi, CURLMOPT_TIMERDATA, impl_.get());
  curl_multi_setopt(impl_->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                    long(std::max(1, options.max_total_connections)));
  curl_multi_setopt(impl_->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                    long(std::max(1, options.max_host_connections)));
  curl_multi_setopt(impl_->multi, CURLMOPT_MAXCONNECTS,
                    long(std::max(1, options.max_total_connections)));
  impl_->worker = std::thread([impl = impl_.get()] { impl->run(); });
}

HttpClient::~HttpClient() {
  shutdown();
  curl_multi_cleanup(impl_->multi);
}

std::uint64_t HttpClient::next_id() { return impl_->next_id++; }

void HttpClient::submit(std::uint64_t id, HttpRequest request, Completion done) {
  auto t = std::make_unique<Transfer>();
  t->id = id;
  t->request = std::move(request);
  t->done = std::move(done);
  bool wake = false;
  {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->stopping) {
      // The worker takes the whole queue at once: one wake-up per queue it finds, not one per
      // request (each is a write to curl's wake-up pipe and a turn of the worker's loop).
      wake = impl_->queued.empty();
      impl_->queued.push_back(std::move(t));
    }
  }
  if (t) {
    Impl::fail(std::move(t), HttpResponse::Transport::kShutdown,
               "the daemon is stopping; the request was not sent");
    return;
  }
  if (wake) impl_->wake();
}

void HttpClient::cancel(std::uint64_t id) {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping) return;
    impl_->cancels.push_back(id);
  }
  impl_->wake();
}

void HttpClient::shutdown() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  if (impl_->worker.joinable()) {
    impl_->wake();
    impl_->worker.join();
  }
}

std::int64_t HttpClient::connections_opened() const { return impl_->connections.load(); }

int HttpClient::peak_in_flight() const { return impl_->peak.load(); }

}  // namespace fangfan
