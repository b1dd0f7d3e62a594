#include "adapters/http/http_client.h"

#include <curl/curl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cctype>
#include <cerrno>
#include <ctime>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "adapters/http/http_text.h"
#include "adapters/http/plain_http.h"

namespace fangfan {

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

// One request on its way: owned by the client from submit to completion.
struct Transfer {
  std::uint64_t id = 0;
  std::size_t slot = 0;  // its place in the client's `running` while it runs
  HttpRequest request;
  std::unique_ptr<HttpClient::Done> done;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  HttpResponse response;
  char error_buffer[CURL_ERROR_SIZE] = {0};
  bool plain = false;  // sent by the plain path (plain_http.h), not curl

  ~Transfer() {
    if (headers) curl_slist_free_all(headers);
    if (easy) curl_easy_cleanup(easy);
  }
  // The easy handle, for the next request (curl keeps its buffers and connection cache links).
  CURL* release_easy() { return std::exchange(easy, nullptr); }
};

// A client without a loop runs one of its own on this thread until shutdown.
struct HttpClient::Worker {
  boost::asio::io_context io{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread;
};

// Everything below runs on the client's executor (the loop's thread, or the worker's), but for
// the atomics.
struct HttpClient::Impl : std::enable_shared_from_this<HttpClient::Impl> {
  using Executor = boost::asio::io_context::executor_type;
  using Clock = std::chrono::steady_clock;

  Impl(boost::asio::io_context& i, HttpClientOptions o)
      : options(o), io(i), ex(io.get_executor()), epoll(io), timer(io) {}

  HttpClientOptions options;
  boost::asio::io_context& io;
  Executor ex;
  CURLM* multi = nullptr;
  // The sockets curl names (CURLMOPT_SOCKETFUNCTION) are in this epoll set, which the loop
  // watches as one descriptor (`epoll` owns its fd), and curl hears only about the sockets that
  // are ready (curl_multi_socket_action): curl_multi_poll/perform looked at every connection on
  // every turn. Watched only while a request runs: an idle client holds no work on the loop
  // (its run() may return), and kept-alive sockets' events wait in the set meanwhile.
  boost::asio::posix::stream_descriptor epoll;
  bool watching = false;
  std::uint64_t watch_turn = 0;  // a wait's handler from before the last cancel does nothing
  // curl's timer (CURLMOPT_TIMERFUNCTION). curl moves it with every request; the Asio timer is
  // moved only when curl's comes earlier than it is set for (each move cancels a wait), and a
  // later one is set again when it fires. "Now" (0 ms) is a posted kick instead.
  boost::asio::steady_timer timer;
  bool timer_set = false;  // the Asio timer is waiting, for `timer_armed_at`
  std::uint64_t timer_turn = 0;
  Clock::time_point timer_armed_at;
  long timeout_ms = -1;  // as curl last set it; -1 = none
  Clock::time_point timer_at;
  bool kick_posted = false;
  struct Watch {
    std::uint32_t events = 0;  // as registered with epoll
    bool parked = false;       // curl let go of it (a kept-alive connection between requests)
  };
  std::unordered_map<int, Watch> watched;  // socket -> what epoll watches
  std::atomic<std::uint64_t> next_id{1};
  std::atomic<std::int64_t> connections{0};
  std::atomic<int> peak{0};
  std::atomic<bool> stopping{false};
  bool stopped = false;  // stop_all ran

  // Requests on the wire, each at its `slot` (at most max_in_flight): a request leaves by its
  // slot, the last one taking its place, with no node to make or free per request.
  std::vector<std::unique_ptr<Transfer>> running;
  std::deque<std::unique_ptr<Transfer>> waiting;
  // Finished requests' easy handles, reused: making and freeing one per request was a good part
  // of the client's cost per request. They keep the options every request shares (new_easy) and
  // only what differs is set per request (start).
  std::vector<CURL*> spare;
  std::string header_line;  // a request header's "Name: value", built for curl to copy
  std::optional<http_detail::PlainHttp> plain;  // http:// requests (plain_http.h)
  std::size_t plain_running = 0;                // of `running`

  ~Impl() {
    if (multi) curl_multi_cleanup(multi);  // closes kept connections through on_close
    for (CURL* e : spare) curl_easy_cleanup(e);
  }

  int epoll_fd() { return epoll.native_handle(); }

  std::unique_ptr<Transfer> take_running(std::size_t slot) {
    std::unique_ptr<Transfer> t = std::move(running[slot]);
    if (t->plain) --plain_running;
    if (slot + 1 != running.size()) {
      running[slot] = std::move(running.back());
      running[slot]->slot = slot;
    }
    running.pop_back();
    return t;
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
    if (::epoll_ctl(impl->epoll_fd(), op, s, &ev) != 0) {
      // Registered already (ADD), or forgotten by epoll (MOD): the other one.
      if (errno == ENOENT) ::epoll_ctl(impl->epoll_fd(), EPOLL_CTL_ADD, s, &ev);
      if (errno == EEXIST) ::epoll_ctl(impl->epoll_fd(), EPOLL_CTL_MOD, s, &ev);
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
    ::epoll_ctl(epoll_fd(), EPOLL_CTL_DEL, fd, nullptr);
    watched.erase(fd);
  }

  // curl: call back (socket_action with CURL_SOCKET_TIMEOUT) in `ms` (-1: no timer).
  static int on_timer(CURLM*, long ms, void* user) {
    auto* impl = static_cast<Impl*>(user);
    impl->timeout_ms = ms;
    if (ms < 0) return 0;  // a wait already set ends harmlessly
    impl->timer_at = Clock::now() + std::chrono::milliseconds(ms);
    if (ms == 0) {
      impl->kick();
    } else if (!impl->timer_set || impl->timer_at < impl->timer_armed_at) {
      impl->set_timer();
    }
    return 0;
  }

  // After the current handler: socket_action for curl's timer (a request was just added; the
  // requests added in one turn of the loop go out together).
  void kick() {
    if (kick_posted) return;
    kick_posted = true;
    boost::asio::post(ex, [w = weak_from_this()] {
      auto self = w.lock();
      if (!self) return;
      self->kick_posted = false;
      self->on_timeout();
    });
  }

  void set_timer() {
    timer_set = true;
    timer_armed_at = timer_at;
    timer.expires_at(timer_at);  // a wait already set ends with operation_aborted
    timer.async_wait([w = weak_from_this(), turn = ++timer_turn](boost::system::error_code ec) {
      if (ec == boost::asio::error::operation_aborted) return;  // moved, or idle
      auto self = w.lock();
      if (!self || turn != self->timer_turn) return;
      self->timer_set = false;
      self->on_timeout();
    });
  }

  void on_timeout() {
    if (stopped) return;
    if (timeout_ms >= 0 && Clock::now() >= timer_at) {
      timeout_ms = -1;
      act(CURL_SOCKET_TIMEOUT, 0);
    }
    settle();
  }

  void act(curl_socket_t s, int events) {
    int still = 0;
    curl_multi_socket_action(multi, s, events, &still);
  }

  // The loop watches the epoll set while requests run.
  void watch() {
    if (watching) return;
    watching = true;
    epoll.async_wait(boost::asio::posix::descriptor_base::wait_read,
                     [w = weak_from_this(), turn = ++watch_turn](boost::system::error_code ec) {
                       auto self = w.lock();
                       if (!self || turn != self->watch_turn) return;
                       self->watching = false;
                       if (!ec && !self->stopped) self->on_ready();
                     });
  }

  // Idle or stopping: no wait left on the loop.
  void unwatch() {
    if (watching) {
      watching = false;
      ++watch_turn;
      epoll.cancel();
    }
    if (timer_set) {
      timer_set = false;
      ++timer_turn;
      timer.cancel();
    }
  }

  void on_ready() {
    epoll_event events[64];
    const int n = ::epoll_wait(epoll_fd(), events, 64, 0);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
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
    on_timeout();  // settles
  }

  // After curl acted: the finished requests answered, waiting ones started, and the loop
  // watching while any runs (an idle client holds no work on it).
  void settle() {
    read_done();
    start_waiting();
    if (running.size() > plain_running) {  // curl's requests, on the epoll set
      watch();
      if (timeout_ms > 0 && !timer_set) set_timer();
    } else {
      unwatch();
    }
  }

  void start_waiting() {
    while (!waiting.empty() && int(running.size()) < options.max_in_flight) {
      auto t = std::move(waiting.front());
      waiting.pop_front();
      start(std::move(t));
    }
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
    auto& headers = t->response.headers;
    if (line.rfind("HTTP/", 0) == 0) {
      headers.clear();  // a new response (after 100 Continue): start over
      return size * n;
    }
    // Written in place: no temporary strings per header line.
    if (!http_detail::parse_header_line(line, headers.emplace_back())) headers.pop_back();
    return size * n;
  }

  // On the wire: through the plain path when it takes the request, else through curl.
  void start(std::unique_ptr<Transfer> t) {
    if (auto url = http_detail::plain_request(t->request)) {
      t->plain = true;
      ++plain_running;
      plain->start(t.get(), t->request, std::move(*url));
    } else {
      start_curl(t.get());
    }
    t->slot = running.size();
    running.push_back(std::move(t));
    peak = std::max(peak.load(), int(running.size()));
  }

  void start_curl(Transfer* t) {
    t->easy = take_easy();
    CURL* e = t->easy;
    const HttpRequest& r = t->request;
    curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, long(r.timeout.count()));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     long(std::min(options.connect_timeout, r.timeout).count()));
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error_buffer);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
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
      header_line.assign(k).append(": ").append(v);  // one buffer for every line (curl copies)
      t->headers = curl_slist_append(t->headers, header_line.c_str());
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_multi_add_handle(multi, e);
  }

  void finish(Transfer* raw, CURLcode code) {
    std::unique_ptr<Transfer> t = take_running(raw->slot);
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
      r = http_detail::transport_failure(
          http_detail::curl_transport(code), redact_url(t->request.url),
          t->error_buffer[0] ? t->error_buffer : curl_easy_strerror(code), t->request.timeout);
    }
    keep_easy(*t);
    complete(std::move(t));
  }

  // The plain path's answer to `tag` (a running Transfer).
  static void plain_finished(void* self, void* tag, HttpResponse response) {
    auto* impl = static_cast<Impl*>(self);
    std::unique_ptr<Transfer> t = impl->take_running(static_cast<Transfer*>(tag)->slot);
    t->response = std::move(response);
    complete(std::move(t));
    impl->settle();
  }

  static void complete(std::unique_ptr<Transfer> t) {
    auto done = std::move(t->done);
    HttpResponse response = std::move(t->response);
    t.reset();  // free curl's handle before the awaiting coroutine goes on
    HttpClient::Done& d = *done;
    d.deliver(std::move(done), std::move(response));
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

  // A request handed over, on the client's thread.
  void add(std::unique_ptr<Transfer> t) {
    if (stopped) {
      fail(std::move(t), HttpResponse::Transport::kShutdown,
           "the daemon is stopping; the request was not sent");
      return;
    }
    waiting.push_back(std::move(t));
    start_waiting();
  }

  void take_off(std::uint64_t id) {
    if (auto it = std::find_if(running.begin(), running.end(),
                               [id](const auto& t) { return t->id == id; });
        it != running.end()) {
      auto t = take_running(std::size_t(it - running.begin()));
      if (t->plain) plain->cancel(t.get());
      abandon(std::move(t), HttpResponse::Transport::kCancelled, "the request was cancelled");
      settle();
    } else if (auto w = std::find_if(waiting.begin(), waiting.end(),
                                     [id](const auto& t) { return t->id == id; });
               w != waiting.end()) {
      auto t = std::move(*w);
      waiting.erase(w);
      abandon(std::move(t), HttpResponse::Transport::kCancelled, "the request was cancelled");
    }
  }

  // Shutdown: everything not answered yet gets an answer now; the loop is left alone.
  void stop_all() {
    if (stopped) return;
    stopped = true;
    plain->stop();
    while (!running.empty()) {
      auto t = take_running(running.size() - 1);
      abandon(std::move(t), HttpResponse::Transport::kShutdown,
              "the daemon stopped before the gateway answered");
    }
    while (!waiting.empty()) {
      auto t = std::move(waiting.front());
      waiting.pop_front();
      abandon(std::move(t), HttpResponse::Transport::kShutdown,
              "the daemon stopped before the request was sent");
    }
    unwatch();
  }

  void init() {
    epoll.assign(::epoll_create1(EPOLL_CLOEXEC));
    multi = curl_multi_init();
    plain.emplace(io, options, &Impl::plain_finished, this, connections);
    running.reserve(std::size_t(options.max_in_flight));
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &Impl::on_socket);
    curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &Impl::on_timer);
    curl_multi_setopt(multi, CURLMOPT_TIMERDATA, this);
    curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                      long(std::max(1, options.max_total_connections)));
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                      long(std::max(1, options.max_host_connections)));
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS,
                      long(std::max(1, options.max_total_connections)));
  }
};

HttpClient::HttpClient(HttpClientOptions options) : worker_(std::make_unique<Worker>()) {
  global_init();
  options.max_in_flight = std::max(1, options.max_in_flight);
  impl_ = std::make_shared<Impl>(worker_->io, options);
  impl_->init();
  worker_->thread = std::thread([w = worker_.get()] { w->io.run(); });
}

HttpClient::HttpClient(boost::asio::io_context& loop, HttpClientOptions options) {
  global_init();
  options.max_in_flight = std::max(1, options.max_in_flight);
  impl_ = std::make_shared<Impl>(loop, options);
  impl_->init();
}

HttpClient::~HttpClient() { shutdown(); }

std::uint64_t HttpClient::next_id() { return impl_->next_id++; }

void HttpClient::submit(std::uint64_t id, HttpRequest request, std::unique_ptr<Done> done) {
  auto t = std::make_unique<Transfer>();
  t->id = id;
  t->request = std::move(request);
  t->done = std::move(done);
  if (impl_->stopping) {
    Impl::fail(std::move(t), HttpResponse::Transport::kShutdown,
               "the daemon is stopping; the request was not sent");
    return;
  }
  // On the client's thread (the loop's, sending from the loop): straight in. From another
  // thread, posted there.
  if (impl_->ex.running_in_this_thread()) {
    impl_->add(std::move(t));
    return;
  }
  boost::asio::post(impl_->ex, [w = std::weak_ptr<Impl>(impl_), t = std::move(t)]() mutable {
    if (auto impl = w.lock()) {
      impl->add(std::move(t));
    } else {
      Impl::fail(std::move(t), HttpResponse::Transport::kShutdown,
                 "the daemon is stopping; the request was not sent");
    }
  });
}

void HttpClient::cancel(std::uint64_t id) {
  if (impl_->stopping) return;
  boost::asio::dispatch(impl_->ex, [w = std::weak_ptr<Impl>(impl_), id] {
    if (auto impl = w.lock()) impl->take_off(id);
  });
}

void HttpClient::shutdown() {
  impl_->stopping = true;
  if (!worker_) {
    impl_->stop_all();  // on the loop's thread, or the loop does not run (REQUIRES)
    return;
  }
  if (!worker_->thread.joinable()) return;
  boost::asio::post(worker_->io, [impl = impl_.get()] { impl->stop_all(); });
  worker_->work.reset();  // the worker's run() ends once stop_all cancelled the waits
  worker_->thread.join();
}

std::int64_t HttpClient::connections_opened() const { return impl_->connections.load(); }

int HttpClient::peak_in_flight() const { return impl_->peak.load(); }

}  // namespace fangfan
