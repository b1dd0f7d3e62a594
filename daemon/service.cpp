#include "daemon/service.h"

#include <spdlog/spdlog.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <csignal>
#include <functional>
#include <list>
#include <map>

#include "adapters/calendar/calendar_files.h"
#include "adapters/channels/make_channels.h"
#include "adapters/clock/system_clock.h"
#include "adapters/http/http_client.h"
#include "adapters/scheduler/case_writing.h"
#include "adapters/storage/case_store.h"
#include "adapters/storage/county_admin_notice.h"
#include "adapters/storage/database.h"
#include "adapters/storage/migrations.h"
#include "adapters/storage/outbox_store.h"
#include "daemon/api/daemon_routes.h"
#include "daemon/api/feed_routes.h"
#include "daemon/api/http_api.h"
#include "daemon/logging.h"
#include "daemon/systemd_notify.h"
#include "daemon/tasks/feed_runner.h"
#include "daemon/tasks/leadership.h"
#include "daemon/tasks/list_runner.h"
#include "daemon/tasks/outbox_dispatcher.h"
#include "daemon/tasks/scheduler.h"
#include "daemon/tasks/storage_executor.h"
#include "workflows/calendar_coverage.h"
#include "workflows/date.h"

namespace fangfan {

namespace asio = boost::asio;
using asio::awaitable;

struct Service::Impl {
  Impl(DaemonOptions o, std::shared_ptr<const Config> c,
       std::shared_ptr<const WorkingDayCalendar> cal, Clock& clk)
      : options(std::move(o)), config(std::move(c)), calendar(std::move(cal)), clock(clk) {}

  DaemonOptions options;
  std::shared_ptr<const Config> config;  // swapped on SIGHUP; read on the loop thread only
  std::shared_ptr<const WorkingDayCalendar> calendar;  // reloaded with the config
  Clock& clock;

  asio::io_context io{1};
  std::shared_ptr<Database> database;
  std::unique_ptr<StorageExecutor> storage;
  // -- gateways: the HTTP client of every gateway channel; declared before the dispatcher (which
  // holds the channels) so that it is destroyed after them
  std::unique_ptr<HttpClient> http;
  SystemClock wall_clock;  // the providers' time, even under --simulated-clock
  std::unique_ptr<OutboxDispatcher> dispatcher;
  std::unique_ptr<Scheduler> scheduler;  // -- scheduler: fires durable timers
  std::unique_ptr<FeedRunner> feeds;     // -- feeds: department data in
  std::unique_ptr<ListRunner> lists;     // -- lists: department lists out
  // -- scale-out: this daemon's name in outbox leases, and whether it leads the county-wide
  // work (seeding, feeds, lists, reports) among the daemons sharing its database
  std::string identity;
  std::unique_ptr<Leadership> leadership;
  // A simulated advance looks for due department data, then produces due lists, at each stop.
  struct Intakes : AdvanceIntake {
    std::vector<AdvanceIntake*> all;
    awaitable<int> look_due() override {
      int timers = 0;
      for (AdvanceIntake* i : all) timers += co_await i->look_due();
      co_return timers;
    }
  } intakes;
  // The one case writer: every case write runs the deadline hook of the config and calendar in
  // force. Before the API, which holds it.
  std::unique_ptr<CaseWriter> case_writer;
  std::unique_ptr<HttpApi> api;  // after storage: its handlers use it

  // Long-lived tasks, each cancellable on shutdown.
  std::list<asio::cancellation_signal> task_signals;
  int live_tasks = 0;
  bool stopping = false;
  bool task_failed = false;  // a task died: exit non-zero so systemd restarts us
  asio::steady_timer grace_timer{io};
  // Installed before READY=1 so that a signal sent right after readiness is
  // never met by the default action (which would kill the process).
  asio::signal_set signal_set{io, SIGTERM, SIGINT, SIGHUP};

  void spawn(const char* name, std::function<awaitable<void>()> task) {
    auto& signal = task_signals.emplace_back();
    ++live_tasks;
    asio::co_spawn(io, std::move(task),
                   asio::bind_cancellation_slot(signal.slot(), [this, name](std::exception_ptr e) {
                     --live_tasks;
                     if (e && !stopping) {
                       try {
                         std::rethrow_exception(e);
                       } catch (const std::exception& ex) {
                         spdlog::critical("daemon.task_failed task={} error=\"{}\"", name,
                                          ex.what());
                       } catch (...) {
                         spdlog::critical("daemon.task_failed task={} error=unknown", name);
                       }
                       task_failed = true;
                       begin_shutdown("a task failed");
                     }
                     if (stopping && live_tasks == 0) grace_timer.cancel();
                   }));
  }

  void begin_shutdown(const char* why) {
    if (stopping) return;
    stopping = true;
    spdlog::info("daemon.stopping reason=\"{}\"", why);
    systemd::notify_stopping();
    for (auto& s : task_signals) s.emit(asio::cancellation_type::terminal);
    if (live_tasks == 0) return;
    // In-flight storage transactions finish; anything still running past the
    // grace period is abandoned and the exit status says so.
    grace_timer.expires_after(std::chrono::seconds(config->shutdown_timeout_seconds));
    grace_timer.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      spdlog::error("daemon.shutdown_timeout seconds={} tasks_left={}",
                    config->shutdown_timeout_seconds, live_tasks);
      // Storage work that outlived the grace period (a hung database link)
      // cannot be interrupted; leave without waiting for it. An unfinished
      // transaction is rolled back by the database, and systemd restarts us.
      spdlog::default_logger()->flush();
      std::_Exit(1);
    });
  }

  void reload() {
    systemd::notify_reloading();
    auto result = load_config(config->file, {.today = china_date(clock.now())});
    if (auto* errors = std::get_if<std::vector<ConfigError>>(&result)) {
      spdlog::error("config.reload_rejected file={} errors={} (keeping the running configuration)",
                    config->file.string(), errors->size());
      for (const auto& e : *errors) spdlog::error("config.error {}", e.to_string());
    } else {
      auto next = std::get<std::shared_ptr<const Config>>(std::move(result));
      auto next_calendar = load_calendar(*next);
      if (!next_calendar) {
        spdlog::error(
            "config.reload_rejected file={} reason=calendar (keeping the running configuration)",
            next->file.string());
        systemd::notify_ready("serving");
        return;
      }
      calendar = std::move(next_calendar);
      if (next->storage_url != config->storage_url) {
        spdlog::warn("config.storage_change_ignored: the storage URL changes only at restart");
      }
      if (next->outbox_lease != config->outbox_lease) {
        spdlog::warn("config.storage_change_ignored: the outbox lease changes only at restart");
      }
      if (next->channels.file.enabled != config->channels.file.enabled ||
          next->channels.file.path != config->channels.file.path ||
          next->api_listen != config->api_listen || next->api_socket != config->api_socket ||
          api_limits(*next).max_connections_per_client !=
              api_limits(*config).max_connections_per_client ||
          api_limits(*next).header_timeout != api_limits(*config).header_timeout) {
        spdlog::warn("config.restart_needed: [channels] and [api] changes take effect at restart");
      }
      config = std::move(next);
      if (scheduler) scheduler->reseed();  // -- scheduler: new rules, new recurring work
      dispatcher->set_config(config);      // -- delivery: new policy, templates, people
      if (!options.log_level) set_log_level(config->log_level);
      spdlog::info("config.reloaded file={}", config->file.string());
    }
    systemd::notify_ready("serving");
  }

  static std::shared_ptr<const WorkingDayCalendar> load_calendar(const Config& c) {
    auto load = load_calendar_dir(c.calendar_dir);
    for (const auto& e : load.errors) spdlog::error("calendar.error {}", e.to_string());
    if (!load.calendar) return nullptr;
    return std::make_shared<const WorkingDayCalendar>(std::move(*load.calendar));
  }

  // Tells every county admin, once per period key, through their first channel.
  // (Coroutine parameters are taken by value: a reference could outlive its
  // argument across a suspension.)
  // One message of `type` with `params` to each county admin, once per `topic` and period.
  awaitable<void> notify_county_admins(std::string topic, std::string period_key, std::string type,
                                       std::map<std::string, std::string> params) {
    boost::json::object body;
    for (const auto& [k, v] : params) body[k] = v;
    const std::string text = boost::json::serialize(body);
    // Keyed on who, not on the address: an SMS address is a phone number, and keys appear in
    // logs and errors.
    std::vector<NewOutboxMessage> messages = county_admin_messages(
        *config, type, text,
        [&](std::string_view who) { return topic + ":" + std::string(who) + ":" + period_key; },
        clock.now());
    if (messages.empty()) {
      spdlog::warn("daemon.no_county_admin topic={}: nobody with role county_admin to tell", topic);
      co_return;
    }
    auto enqueue_all = [messages = std::move(messages)](soci::session& s) {
      WriteTransaction tx(s);
      int n = 0;
      for (const auto& m : messages) n += enqueue_outbox(s, m).inserted ? 1 : 0;
      tx.commit();
      return n;
    };
    const int queued = co_await storage->run(std::move(enqueue_all));
    if (queued > 0) dispatcher->wake();
  }

  // Once a day (China date): is the working-day calendar about to run out?
  awaitable<void> calendar_watch() {
    std::optional<Date> last_checked;
    asio::steady_timer timer(io);
    for (;;) {
      const Date today = china_date(clock.now());
      if (last_checked != today) {
        last_checked = today;
        if (auto w = calendar_coverage_warning(*calendar, today)) {
          if (w->current_year) {
            spdlog::error("calendar.current_year_missing year={}", w->missing_year);
          } else {
            spdlog::warn("calendar.next_year_missing year={} today={}", w->missing_year,
                         format_date(today));
          }
          // Named, not braced inside the co_await: g++ 12 miscompiles that.
          std::map<std::string, std::string> params{{"year", std::to_string(w->missing_year)},
                                                    {"text", w->text}};
          std::string topic = "calendar_missing_" + std::to_string(w->missing_year);
          co_await notify_county_admins(std::move(topic), w->period_key, "calendar_missing",
                                        std::move(params));
        }
      }
      timer.expires_after(std::chrono::minutes(10));
      co_await timer.async_wait(asio::use_awaitable);
    }
  }

  awaitable<void> signals() {
    for (;;) {
      int sig = co_await signal_set.async_wait(asio::use_awaitable);
      if (sig == SIGHUP) {
        reload();
      } else {
        begin_shutdown(sig == SIGTERM ? "SIGTERM" : "SIGINT");
        co_return;
      }
    }
  }

  awaitable<void> watchdog(std::chrono::microseconds interval) {
    asio::steady_timer timer(io);
    for (;;) {
      systemd::notify_watchdog();
      timer.expires_after(interval / 2);
      co_await timer.async_wait(asio::use_awaitable);
    }
  }

  // -- scale-out: the county-wide work runs on the leader only (daemon/tasks/leadership.h). A
  // leader that loses its lock stops the daemon (exit 1): it cannot know whether another leads.
  awaitable<void> lead() {
    auto gained = [this] {
      if (stopping) return;
      scheduler->reseed();                              // -- scheduler: seed as the leader
      spawn("feeds", [this] { return feeds->run(); });  // -- feeds
      spawn("lists", [this] { return lists->run(); });  // -- lists
    };
    co_await leadership->run(std::move(gained));
    throw std::runtime_error("失去主守护进程锁 (lost the leader lock)");
  }

  // A follower's feeds and lists loops do not run; their heartbeats say the daemon is well.
  awaitable<void> follower_beats(Heartbeat& feeds_beat, Heartbeat& lists_beat) {
    asio::steady_timer timer(io);
    for (;;) {
      if (!leadership->leading()) {
        feeds_beat.beat();
        lists_beat.beat();
      }
      timer.expires_after(std::chrono::seconds(30));
      co_await timer.async_wait(asio::use_awaitable);
    }
  }

  bool open_storage() {
    try {
      database = std::make_shared<Database>(Database::open(config->storage_url));
      // -- scale-out: SQLite is one daemon per file; a second one is refused before it writes
      if (auto refused = hold_sqlite_daemon_lock(*database, config->storage_url)) {
        spdlog::critical("storage.in_use error=\"{}\"", *refused);
        return false;
      }
      auto result = migrate(*database, clock.now());
      spdlog::info("storage.ready url={} schema_version={} migrations_applied={}",
                   database->display_url(), result.to_version, result.applied);
    } catch (const StorageError& e) {
      spdlog::critical("storage.open_failed error=\"{}\"", e.what());
      return false;
    }
    // The case writer's session keeps a wide page cache (case_store.h).
    storage = std::make_unique<StorageExecutor>(database, 2, widen_case_writer_cache);
    // -- delivery: the dispatcher reads [delivery], [templates] and the people from the config
    dispatcher = std::make_unique<OutboxDispatcher>(io.get_executor(), *storage, clock, config);
    // -- scale-out: on PostgreSQL several daemons may share the outbox: claims carry leases
    identity = daemon_identity(config->api_listen);
    if (database->dialect() == Dialect::kPostgresql) {
      dispatcher->share_database(identity, config->outbox_lease);
    }
    leadership = std::make_unique<Leadership>(database, identity);
    // -- gateways: the file channel and every enabled gateway ([channels.*])
    http = std::make_unique<HttpClient>(io, http_client_options(*config));
    for (auto& channel : make_channels(*config, *http, clock, wall_clock)) {
      spdlog::info("outbox.channel name={}", channel->name());
      dispatcher->add_channel(std::move(channel));
    }
    return true;
  }
};

Service::Service(DaemonOptions options, std::shared_ptr<const Config> config,
                 std::shared_ptr<const WorkingDayCalendar> calendar, Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(config), std::move(calendar),
                                   clock)) {}

Service::~Service() = default;

int Service::run() {
  Impl& s = *impl_;
  spdlog::info("daemon.starting version={} config={}", FANGFAN_VERSION, s.config->file.string());
  if (!s.open_storage()) return 1;
  // Every case write (API routes, imports) goes through this writer: duties and deadlines change
  // with the case. Its sources are read on the loop thread, where units of work begin.
  s.case_writer = make_case_writer(
      s.clock, [&s] { return s.config; }, [&s] { return s.calendar; });
  // Routes of other parts go on s.api->router() before the spawn below.
  s.api = std::make_unique<HttpApi>(
      s.io.get_executor(), *s.storage, s.clock, [&s] { return s.config; },
      [&s] { s.dispatcher->wake(); }, *s.case_writer, api_limits(*s.config));
  // -- api: the calendar routes read the calendar in force (reloaded with the config)
  s.api->services().calendar = [&s] { return s.calendar; };
  // -- scheduler: fires due timers (after the dispatcher, which it wakes); the clock routes move
  // a simulated clock through it and run the dry run; campaign progress routes
  s.scheduler = std::make_unique<Scheduler>(
      s.io.get_executor(), *s.storage, s.clock,
      s.options.simulated_clock ? dynamic_cast<SimulatedClock*>(&s.clock) : nullptr,
      [&s] { return s.config; }, [&s] { return s.calendar; }, [&s] { s.dispatcher->wake(); },
      &s.api->health().heartbeat("scheduler", std::chrono::minutes(3)));
  // -- scale-out: the recurring work is seeded by the leader only (every daemon fires)
  s.scheduler->set_seeding_gate([&s] { return s.leadership->leading(); });
  // Under --simulated-clock a `clock advance` delivers at each of its stops, so messages leave
  // at the simulated instant they are due (quiet hours, digests, retries), not at its end.
  s.scheduler->set_delivery(s.dispatcher.get());
  // A case write may schedule a timer sooner than the scheduler's current sleep (up to 60 s)
  // and queue a written notice.
  s.api->services().case_written = [&s] {
    s.scheduler->wake();
    s.dispatcher->wake();
  };
  register_daemon_routes(*s.api, *s.scheduler);  // clock, dry run, campaigns, evaluation
  // -- feeds: department data taken in when due (and at each stop of a simulated advance); its
  // runs and the alerts they raise over the API
  s.feeds = std::make_unique<FeedRunner>(
      s.io.get_executor(), *s.storage, s.clock, [&s] { return s.config; },
      [&s] { return s.calendar; }, *s.case_writer, s.http.get(),
      [&s] {
        s.scheduler->wake();
        s.dispatcher->wake();
      },
      &s.api->health().heartbeat("feeds", std::chrono::minutes(3)));
  // -- lists: each department's list produced when its period falls due (a ListDue timer
  // fired), written under [storage] files and queued for delivery
  s.lists = std::make_unique<ListRunner>(
      s.io.get_executor(), *s.storage, s.clock, [&s] { return s.config; },
      [&s] { return s.calendar; },
      [&s] {
        s.scheduler->wake();
        s.dispatcher->wake();
      },
      &s.api->health().heartbeat("lists", std::chrono::minutes(3)));
  s.intakes.all = {s.feeds.get(), s.lists.get()};
  s.scheduler->set_intake(&s.intakes);
  s.scheduler->set_on_fired([&s] {
    s.feeds->wake();
    s.lists->wake();
  });
  register_feed_routes(s.api->router(), s.api->services(), s.feeds.get());
  if (auto error = s.api->listen(s.config->api_listen)) {
    spdlog::critical("api.listen_failed error=\"{}\"", *error);
    return 1;
  }
  // -- api: the optional Unix socket ([api] socket)
  if (!s.config->api_socket.empty()) {
    if (auto error = s.api->listen_unix(s.config->api_socket)) {
      spdlog::critical("api.listen_failed error=\"{}\"", *error);
      return 1;
    }
  }

  s.spawn("signals", [&s] { return s.signals(); });
  if (auto interval = systemd::watchdog_interval()) {
    spdlog::info("daemon.watchdog interval_ms={}", interval->count() / 1000);
    s.spawn("watchdog", [&s, i = *interval] { return s.watchdog(i); });
  }

  s.spawn("outbox", [&s] { return s.dispatcher->run(); });
  s.spawn("calendar_watch", [&s] { return s.calendar_watch(); });
  // -- scale-out: before the scheduler, so that a daemon that leads at once (SQLite) seeds in
  // the scheduler's first turn; feeds and lists are spawned once this daemon leads
  s.spawn("leadership", [&s] { return s.lead(); });
  s.spawn("scheduler", [&s] { return s.scheduler->run(); });  // -- scheduler
  // -- feeds, lists: spawned by the leadership (above) once this daemon leads
  s.spawn("follower_beats", [&s] {
    return s.follower_beats(s.api->health().heartbeat("feeds", std::chrono::minutes(3)),
                            s.api->health().heartbeat("lists", std::chrono::minutes(3)));
  });
  s.spawn("api", [&s] { return s.api->run(); });

  systemd::notify_ready("serving");
  spdlog::info("daemon.ready");
  s.io.run();

  s.storage->join();    // wait for in-flight transactions, close every session
  s.http->shutdown();   // -- gateways: requests still in flight end; their messages stay queued
  s.lists.reset();      // -- lists (holds the api's heartbeat)
  s.feeds.reset();      // -- feeds (holds the api's heartbeat)
  s.scheduler.reset();  // -- scheduler (holds the api's heartbeat)
  // -- scale-out: closing the lock's connection lets another daemon lead at once
  s.leadership.reset();
  s.api.reset();
  s.case_writer.reset();
  s.dispatcher.reset();
  s.storage.reset();
  s.database.reset();
  spdlog::info("daemon.stopped clean={}", !s.task_failed);
  return s.task_failed ? 1 : 0;
}

}  // namespace fangfan
