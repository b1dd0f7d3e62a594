// GCC 12.2 misreports Asio's coroutine frames (class-specific operator new/delete) as
// -Wmismatched-new-delete at -O2 (GCC bug 109224, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "daemon/tasks/feed_runner.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "adapters/feeds/drop_folder.h"
#include "adapters/feeds/http_pull.h"
#include "adapters/scheduler/feed_duties.h"
#include "adapters/storage/database.h"
#include "adapters/storage/duty_store.h"
#include "adapters/storage/feed_store.h"
#include "daemon/tasks/health.h"
#include "workflows/date.h"
#include "workflows/lists.h"

namespace fangfan {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

constexpr std::chrono::seconds kTick{30};
// On PostgreSQL several daemons may take data in at once (an upload through any daemon's API),
// so a run still "running" is another live daemon's unless it is older than any run takes: only
// those are failed, at start and at every look. SQLite has one daemon: every run left running
// at start is its own previous life's.
constexpr std::chrono::minutes kAbandonedAfter{30};
constexpr std::chrono::seconds kStorageRetry{5};

bool cancelled(asio::cancellation_state cs) {
  return cs.cancelled() != asio::cancellation_type::none;
}

// "<feed>/<period>" of a feed duty's subject.
std::pair<std::string, std::string> split_subject(const std::string& subject) {
  const auto slash = subject.rfind('/');
  if (slash == std::string::npos) return {subject, ""};
  return {subject.substr(0, slash), subject.substr(slash + 1)};
}

// The feedback feed (kind = "feedback") answering list `list`, or nullptr.
const FeedSource* feedback_feed(const Config& config, const std::string& list) {
  for (const FeedSource& f : config.rules.feeds.sources) {
    if (f.answers_list == list) return &f;
  }
  return nullptr;
}

}  // namespace

// Holds a feed's turn for a whole look or run: two looks (the runner's own and a simulated
// advance's, or a manual run) never take the same file twice.
struct FeedRunner::Turn {
  FeedRunner* runner;
  std::string feed;
  ~Turn() { runner->unlock_feed(feed); }
};

FeedRunner::FeedRunner(asio::any_io_executor loop, StorageExecutor& storage, const Clock& clock,
                       ConfigSource config, CalendarSource calendar, const CaseWriter& writer,
                       HttpClient* http, std::function<void()> changed, Heartbeat* heartbeat)
    : loop_(loop),
      storage_(storage),
      clock_(clock),
      config_(std::move(config)),
      calendar_(std::move(calendar)),
      writer_(writer),
      http_(http),
      changed_(std::move(changed)),
      heartbeat_(heartbeat),
      timer_(loop) {}

void FeedRunner::wake() {
  woken_ = true;
  timer_.cancel();
}

awaitable<void> FeedRunner::lock_feed(const std::string& feed) {
  asio::steady_timer wait(loop_);
  while (busy_.count(feed) != 0) {
    wait.expires_after(std::chrono::milliseconds(100));
    co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  busy_.insert(feed);
}

void FeedRunner::unlock_feed(const std::string& feed) { busy_.erase(feed); }

awaitable<IntakeReport> FeedRunner::take(std::shared_ptr<const Config> config, std::string feed,
                                         std::string period, FeedInput input,
                                         IntakeOptions options) {
  auto calendar = calendar_();
  auto intake =
      std::make_shared<FeedIntake>(config, feed, period, std::move(input), std::move(options));
  const TimePoint started = clock_.now();
  std::optional<StorageError> failure;
  try {
    // Named before awaiting: GCC 12 destroys a lambda written inside co_await twice.
    auto start = [intake, started](soci::session& s) { return intake->start(s, started); };
    bool more = co_await storage_.run(std::move(start));
    while (more) {
      const Date today = china_date(clock_.now());
      auto chunk = [intake, today](soci::session& s) { return intake->next_chunk(s, today); };
      more = co_await storage_.run(std::move(chunk));
      if (heartbeat_) heartbeat_->beat();
    }
    // The unit of work is begun on the loop thread (case_writing.h), used on the pool's.
    auto cases = std::make_shared<CaseUnitOfWork>(writer_.begin(*config));
    const TimePoint now = clock_.now();
    auto finish = [intake, cases, calendar, now, config](soci::session& s) {
      intake->finish(s, *cases, *calendar, now);
    };
    co_await storage_.run(std::move(finish));
  } catch (const StorageError& e) {
    failure = e;
  }
  if (failure) {
    // The run fails now rather than stay "running" until a restart; the error goes on to the
    // caller (the runner's loop pauses, and the file, still in its folder, is taken again).
    // What finish() applied stays, and its signals keep the next run from doubling it.
    const TimePoint now = clock_.now();
    auto abandon = [intake, why = std::string(failure->what()), now](soci::session& s) {
      intake->abandon(s, why, now);
    };
    try {
      co_await storage_.run(std::move(abandon));
    } catch (const StorageError& e) {
      spdlog::error("feed.abandon_failed feed={} period={} error=\"{}\"", feed, period, e.what());
    }
    if (changed_) changed_();  // finish() may have queued timers before the failure
    throw *failure;
  }
  if (changed_) changed_();
  co_return intake->report();
}

awaitable<int> FeedRunner::look(std::int64_t duty_id, std::string feed, std::string period,
                                bool force) {
  auto config = config_();
  const FeedSource* source = config->rules.feeds.find(feed);
  if (source == nullptr) co_return 0;  // no longer configured: its duty stays as it is
  // The turn first: a look running elsewhere (the runner's own loop while a simulated advance
  // looks too) finishes, ladder included, before this one decides it was looked at just now.
  co_await lock_feed(feed);
  Turn turn{this, feed};
  const TimePoint now = clock_.now();
  if (!force) {
    auto it = looked_at_.find(duty_id);
    if (it != looked_at_.end() && now - it->second < std::chrono::minutes(source->poll_minutes)) {
      co_return 0;
    }
  }
  looked_at_[duty_id] = now;
  // Taken meanwhile by the look that held the turn: nothing to do.
  auto reload = [duty_id](soci::session& s) { return load_duty(s, duty_id); };
  auto still = co_await storage_.run(std::move(reload));
  if (!still || still->state != DutyState::kOpen) co_return 0;
  std::string missing;
  std::optional<FeedInput> input;
  if (source->kind == FeedSourceKind::kFolder) {
    // Blocking file-system work: on the pool, never on the loop.
    auto look_folder = [source, period](soci::session&) {
      return look_in_drop_folder(*source, period);
    };
    DropLook found = co_await storage_.run(std::move(look_folder));
    if (auto* f = std::get_if<DropFile>(&found)) {
      input = FeedInput{f->path.filename().string(), f->path, {}};
    } else if (auto* n = std::get_if<NotYet>(&found)) {
      missing = n->why;
    } else {
      missing = std::get<std::string>(found);
      spdlog::error("feed.folder_error feed={} period={} error=\"{}\"", feed, period, missing);
    }
  } else if (http_ == nullptr) {
    missing = "没有可用的 HTTP 客户端 (no HTTP client)";
  } else {
    auto wait = [this](std::chrono::milliseconds d) -> awaitable<void> {
      asio::steady_timer t(loop_, d);
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    };
    const auto timeout = std::chrono::seconds(config->channels.http.timeout_seconds);
    PullResult pulled = co_await pull_feed(*http_, *source, period, wait, timeout, clock_);
    if (auto* d = std::get_if<PulledData>(&pulled)) {
      input = FeedInput{d->url, std::nullopt, std::move(d->body)};
    } else if (auto* n = std::get_if<PullNotYet>(&pulled)) {
      missing = n->why;
    } else {
      // Recorded as a failed run, so the county sees the department's interface is down.
      const PullFailed& f = std::get<PullFailed>(pulled);
      missing = f.error;
      NewFeedRun run{feed, source->department, period, redact_url(feed_url(*source, period)),
                     "",   "schedule",         now,    std::nullopt};
      auto record = [run, f, now](soci::session& s) {
        WriteTransaction tx(s);
        const std::int64_t id = create_feed_run(s, run);
        finish_feed_run(s, id, FeedRunCounts{}, now, f.error);
        tx.commit();
      };
      co_await storage_.run(std::move(record));
      spdlog::warn("feed.pull_failed feed={} period={} attempts={} error=\"{}\"", feed, period,
                   f.attempts, f.error);
    }
  }
  // A list's answer not in yet: its feedback duty's own timers remind and climb.
  if (!input && !source->answers_list.empty()) co_return 0;
  if (!input) {
    auto calendar = calendar_();
    auto ladder = [config, calendar, duty_id, now](soci::session& s) {
      return start_feed_ladder(s, *config, *calendar, duty_id, now);
    };
    const int timers = co_await storage_.run(std::move(ladder));
    if (timers > 0) {
      spdlog::info("feed.missing feed={} period={} why=\"{}\" ladder_timers={}", feed, period,
                   missing, timers);
    }
    co_return timers;
  }
  // Named arguments, no temporaries inside co_await: GCC 12 destroys those twice.
  FeedInput data = *input;
  IntakeOptions options;
  IntakeReport report = co_await take(config, feed, period, std::move(data), std::move(options));
  if (input->file) {
    const std::int64_t id = report.run_id.value_or(report.same_as_run.value_or(0));
    auto move = [source, file = *input->file, id](soci::session&) {
      return move_to_processed(*source, file, id);
    };
    auto moved = co_await storage_.run(std::move(move));
    if (auto* why = std::get_if<std::string>(&moved)) {
      spdlog::error("feed.move_failed feed={} file=\"{}\" error=\"{}\"", feed,
                    input->file->string(), *why);
    }
  }
  if (report.status == "already_taken") {
    spdlog::info("feed.already_taken feed={} period={} same_as_run={}", feed, period,
                 report.same_as_run.value_or(0));
  }
  co_return 0;
}

awaitable<int> FeedRunner::look_due() {
  const TimePoint now = clock_.now();
  auto list = [now](soci::session& s) {
    std::vector<DutyRecord> due = open_feed_duties(s, now);
    for (DutyRecord& d : open_feedback_duties(s)) due.push_back(std::move(d));
    return due;
  };
  auto due = co_await storage_.run(std::move(list));
  auto config = config_();
  int timers = 0;
  for (const DutyRecord& duty : due) {
    auto [feed, period] = split_subject(duty.subject);
    if (duty.kind != kDutyFeed) {
      // "<list>/<period>": the feedback feed answering that list, if one is configured.
      const FeedSource* answers = feedback_feed(*config, feed);
      if (answers == nullptr) continue;
      feed = answers->name;
    }
    try {
      timers += co_await look(duty.id, feed, period, false);
    } catch (const StorageError&) {
      throw;
    } catch (const std::exception& e) {
      // One feed's trouble (an unreadable file, a bug on a row) must not stop the others.
      spdlog::error("feed.look_failed feed={} period={} error=\"{}\"", feed, period, e.what());
    }
  }
  if (timers > 0 && changed_) changed_();
  co_return timers;
}

awaitable<std::optional<IntakeReport>> FeedRunner::run_now(std::string feed, std::string period,
                                                           std::string actor, std::string& why) {
  auto config = config_();
  const FeedSource* source = config->rules.feeds.find(feed);
  if (source == nullptr) {
    why = "未配置该数据源 (no such feed: " + feed + ")";
    co_return std::nullopt;
  }
  // Through the period's duty when it is open (so a late file closes it), else a look of its own.
  const TimePoint now = clock_.now();
  auto find = [feed, period, list = source->answers_list](soci::session& s) {
    return list.empty() ? find_feed_duty(s, feed, period)
                        : find_duty(s, feedback_duty_key(list, period));
  };
  auto duty = co_await storage_.run(std::move(find));
  if (duty && duty->state == DutyState::kOpen) {
    co_await look(duty->id, feed, period, true);
    auto latest = [feed, period](soci::session& s) { return latest_feed_run(s, feed, period); };
    auto after = co_await storage_.run(std::move(latest));
    if (after && after->started_at >= now) {
      IntakeReport r;
      r.run_id = after->id;
      r.status = after->status;
      r.counts = after->counts;
      r.error = after->error;
      co_return r;
    }
    why = "本期数据尚未到达 (the period's data has not arrived yet)";
    co_return std::nullopt;
  }
  co_await lock_feed(feed);
  Turn turn{this, feed};
  std::optional<FeedInput> input;
  if (source->kind == FeedSourceKind::kFolder) {
    auto look_folder = [source, period](soci::session&) {
      return look_in_drop_folder(*source, period);
    };
    DropLook found = co_await storage_.run(std::move(look_folder));
    if (auto* f = std::get_if<DropFile>(&found)) {
      input = FeedInput{f->path.filename().string(), f->path, {}};
    } else if (auto* n = std::get_if<NotYet>(&found)) {
      why = n->why;
    } else {
      why = std::get<std::string>(found);
    }
  } else if (http_ != nullptr) {
    auto wait = [this](std::chrono::milliseconds d) -> awaitable<void> {
      asio::steady_timer t(loop_, d);
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    };
    PullResult pulled =
        co_await pull_feed(*http_, *source, period, wait,
                           std::chrono::seconds(config->channels.http.timeout_seconds), clock_);
    if (auto* d = std::get_if<PulledData>(&pulled)) {
      input = FeedInput{d->url, std::nullopt, std::move(d->body)};
    } else if (auto* n = std::get_if<PullNotYet>(&pulled)) {
      why = n->why;
    } else {
      why = std::get<PullFailed>(pulled).error;
    }
  }
  if (!input) co_return std::nullopt;
  IntakeOptions options;
  options.trigger = "manual";
  options.actor = actor;
  FeedInput data = *input;
  IntakeReport report = co_await take(config, feed, period, std::move(data), std::move(options));
  if (input->file) {
    const std::int64_t id = report.run_id.value_or(report.same_as_run.value_or(0));
    auto move = [source, file = *input->file, id](soci::session&) {
      return move_to_processed(*source, file, id);
    };
    co_await storage_.run(std::move(move));
  }
  co_return report;
}

awaitable<IntakeReport> FeedRunner::fix(std::int64_t run_id, std::string file_name,
                                        std::string bytes, std::string actor) {
  auto config = config_();
  auto load = [run_id](soci::session& s) { return load_feed_run(s, run_id); };
  auto original = co_await storage_.run(std::move(load));
  IntakeReport report;
  if (!original || config->rules.feeds.find(original->feed) == nullptr) {
    report.status = "failed";
    report.error =
        "没有这次取数，或其数据源已不在配置中 (no such run, or its feed is no longer "
        "configured)";
    co_return report;
  }
  IntakeOptions options;
  options.trigger = "fix";
  options.fixes_run_id = run_id;
  options.actor = actor;
  co_await lock_feed(original->feed);
  Turn turn{this, original->feed};
  FeedInput data{file_name, std::nullopt, std::move(bytes)};
  const std::string feed = original->feed, period = original->period;
  report = co_await take(config, feed, period, std::move(data), std::move(options));
  co_return report;
}

awaitable<void> FeedRunner::run() {
  bool shared = false;  // PostgreSQL: other daemons' runs may be running
  try {
    const TimePoint now = clock_.now();
    auto abandon = [now, &shared](soci::session& s) {
      shared = dialect_of(s) == Dialect::kPostgresql;
      const std::optional<TimePoint> before =
          shared ? std::optional<TimePoint>(now - kAbandonedAfter) : std::nullopt;
      return fail_abandoned_feed_runs(s, now, before);
    };
    const int failed = co_await storage_.run(std::move(abandon));
    if (failed > 0) spdlog::warn("feed.abandoned_runs_failed count={}", failed);
  } catch (const StorageError& e) {
    spdlog::error("feed.storage_error error=\"{}\"", e.what());
  }
  for (;;) {
    woken_ = false;
    auto sleep = std::chrono::duration_cast<std::chrono::seconds>(kTick);
    try {
      if (shared) {
        const TimePoint now = clock_.now();
        auto abandon = [now](soci::session& s) {
          return fail_abandoned_feed_runs(s, now, now - kAbandonedAfter);
        };
        const int failed = co_await storage_.run(std::move(abandon));
        if (failed > 0) spdlog::warn("feed.abandoned_runs_failed count={}", failed);
      }
      co_await look_due();
    } catch (const StorageError& e) {
      spdlog::error("feed.storage_error error=\"{}\" retry_in_seconds={}", e.what(),
                    kStorageRetry.count());
      sleep = kStorageRetry;
    } catch (const boost::system::system_error& e) {
      if (e.code() == asio::error::operation_aborted) co_return;
      throw;
    }
    if (cancelled(co_await asio::this_coro::cancellation_state)) co_return;
    if (woken_) continue;
    timer_.expires_after(sleep);
    co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (cancelled(co_await asio::this_coro::cancellation_state)) co_return;
  }
}

}  // namespace fangfan
