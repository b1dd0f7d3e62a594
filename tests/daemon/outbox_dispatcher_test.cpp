// The outbox dispatcher end to end over a real SQLite database, on a simulated clock, with
// recording channels (real Channel classes that keep what they were handed and answer as each
// test scripts them): quiet hours, digests, retry/backoff, rate limits, permanent failures and
// fallback, dead letters, the breaker, pacing, masking and bounded concurrency.
#include "daemon/tasks/outbox_dispatcher.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>

#include "adapters/channels/webhook_channel.h"
#include "adapters/channels/wechat_robot.h"
#include "adapters/clock/system_clock.h"
#include "adapters/http/http_client.h"
#include "adapters/storage/database.h"
#include "adapters/storage/migrations.h"
#include "adapters/storage/outbox_store.h"
#include "tests/support/fake_providers.h"
#include "workflows/date.h"

namespace fangfan {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

TimePoint at(const char* china) { return *parse_time(china); }

// The outbox's person (name@scope) of the officer the fixture configures.
const std::string kOfficerKey = "李明@379901001001";

// A channel that records every message and answers with `answer` (sent by default).
class RecordingChannel final : public Channel {
 public:
  explicit RecordingChannel(std::string name) : name_(std::move(name)) {}
  const std::string& name() const override { return name_; }

  asio::awaitable<DeliveryResult> deliver(OutgoingMessage m) override {
    ++in_flight;
    max_in_flight = std::max(max_in_flight, in_flight);
    if (delay.count() > 0) {
      asio::steady_timer t(co_await asio::this_coro::executor, delay);
      co_await t.async_wait(asio::use_awaitable);
    }
    --in_flight;
    calls.push_back(m);
    if (answer) co_return answer(m);
    co_return DeliveryResult::sent("pm-" + std::to_string(m.outbox_id), "0");
  }

  std::vector<OutgoingMessage> calls;
  std::function<DeliveryResult(const OutgoingMessage&)> answer;
  std::chrono::milliseconds delay{0};
  int in_flight = 0;
  int max_in_flight = 0;

 private:
  std::string name_;
};

DeliveryResult retry(std::string error = "HTTP 503") {
  return DeliveryResult::failed(DeliveryResult::Outcome::kRetry, "503", std::move(error));
}

Person person(std::string name, Role role, std::string scope, std::vector<std::string> channels) {
  Person p;
  p.name = std::move(name);
  p.role = role;
  p.scope = std::move(scope);
  p.phone = "13900000011";
  p.wechat = "wx_" + std::to_string(p.name.size()) + "_officer";
  p.channels = std::move(channels);
  return p;
}

class OutboxDispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() / ("fangfan-dispatcher-test-" + std::to_string(::getpid()) +
                                        "-" + std::to_string(++counter));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = std::make_shared<Database>(Database::open("sqlite3://" + (dir_ / "f.db").string()));
    migrate(*db_, clock_.now());
    session_ = db_->open_session();
    storage_ = std::make_unique<StorageExecutor>(db_, 2);

    config_ = std::make_shared<Config>();
    config_->county.code = "379901";
    officer_ =
        person("李明", Role::kAssistanceOfficer, "379901001001", {"wechat_app", "sms_aliyun"});
    admin_ = person("周建国", Role::kCountyAdmin, "379901", {"file"});
    config_->people = {officer_, admin_};
    config_->delivery.backoff = {30s, 3600s, 0.2};
    config_->delivery.max_attempts = 3;
    for (auto name : {"wechat_app", "sms_aliyun", "file", "wechat_robot"}) {
      channels_[name] = std::make_shared<RecordingChannel>(name);
    }
  }

  void TearDown() override {
    dispatcher_.reset();
    storage_->join();
    storage_.reset();
    session_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  OutboxDispatcher& dispatcher() {
    if (!dispatcher_) {
      dispatcher_ = std::make_unique<OutboxDispatcher>(io_.get_executor(), *storage_, clock_,
                                                       config_, [] { return 0.0; });
      for (auto& [name, ch] : channels_) {
        if (name != "webhook") dispatcher_->add_channel(ch);
      }
    }
    return *dispatcher_;
  }

  RecordingChannel& channel(const std::string& name) { return *channels_.at(name); }

  void pass() {
    auto done = asio::co_spawn(io_, dispatcher().dispatch_due(), asio::use_future);
    while (done.wait_for(0s) != std::future_status::ready) {
      io_.restart();
      io_.run_for(5ms);
    }
    done.get();
  }

  std::int64_t enqueue(const std::string& key, const std::string& channel,
                       const std::string& recipient, const std::string& type,
                       const std::string& body, const std::string& person = "") {
    NewOutboxMessage m;
    m.dedupe_key = key;
    m.channel = channel;
    m.recipient = recipient;
    m.message_type = type;
    m.body = body;
    m.created_at = clock_.now();
    m.next_attempt_at = clock_.now();
    m.person = person;
    return enqueue_outbox(*session_, m).id;
  }

  // A written notice to the officer on wechat_app (not a reminder: no digest wait).
  std::int64_t notice(const std::string& key, const std::string& channel = "wechat_app") {
    return enqueue(
        key + ":李明@379901001001", channel, address_for(officer_, channel), "written_notice",
        R"({"case_id":"42","household":"王*","village":"东村","text":"请补充材料"})", kOfficerKey);
  }

  OutboxRecord row(std::int64_t id) { return load_outbox(*session_, id).value(); }
  std::vector<OutboxRecord> rows() {
    auto all = list_outbox(*session_, std::nullopt, 1000);
    std::reverse(all.begin(), all.end());
    return all;
  }

  fs::path dir_;
  std::shared_ptr<Database> db_;
  std::unique_ptr<soci::session> session_;
  std::unique_ptr<StorageExecutor> storage_;
  asio::io_context io_;
  SimulatedClock clock_{at("2025-03-04T10:00")};
  std::shared_ptr<Config> config_;
  Person officer_, admin_;
  std::map<std::string, std::shared_ptr<RecordingChannel>> channels_;
  std::unique_ptr<OutboxDispatcher> dispatcher_;
};

TEST_F(OutboxDispatcherTest, SentMessageIsRenderedInChineseAndKeepsTheProviderId) {
  const auto id = notice("n1");
  pass();
  ASSERT_EQ(channel("wechat_app").calls.size(), 1u);
  const auto& m = channel("wechat_app").calls[0];
  EXPECT_EQ(m.outbox_id, id);
  EXPECT_EQ(m.recipient, officer_.wechat);
  EXPECT_EQ(m.text, "【防返贫监测】东村王*户（案件42）书面告知：请补充材料");
  EXPECT_EQ(m.params.at("household"), "王*");
  const auto r = row(id);
  EXPECT_EQ(r.status, OutboxStatus::kSent);
  EXPECT_EQ(r.provider_message_id, "pm-" + std::to_string(id));
  EXPECT_EQ(r.provider_code, "0");
  EXPECT_EQ(r.attempts, 1);
}

TEST_F(OutboxDispatcherTest, ListFileParamsReachTheChannelAsTheAttachment) {
  channels_["list_folder"] = std::make_shared<RecordingChannel>("list_folder");
  const auto with_file = enqueue(
      "list:civil:2026-12-01:list_folder:/srv/drop/civil:县民政局-2026-12-01.xlsx", "list_folder",
      "/srv/drop/civil", "department_list",
      R"({"list":"civil","department":"civil_affairs","department_name":"县民政局",)"
      R"("period":"2026-12-01","households":"3","rows":"3","answer_by":"2026-12-15",)"
      R"("attachment_path":"/var/lib/fangfan/files/lists/civil/2026-12-01/县民政局-2026-12-01.xlsx",)"
      R"("attachment_name":"县民政局-2026-12-01.xlsx",)"
      R"("attachment_sha256":"abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd",)"
      R"("attachment_size":"52113"})");
  const auto without = enqueue("plain", "list_folder", "/srv/drop/civil", "department_list",
                               R"({"list":"civil","period":"2026-12-01"})");
  pass();
  auto& calls = channel("list_folder").calls;
  ASSERT_EQ(calls.size(), 2u);
  std::map<std::int64_t, OutgoingMessage> by_id;
  for (const auto& c : calls) by_id.emplace(c.outbox_id, c);
  const auto& m = by_id.at(with_file);
  ASSERT_TRUE(m.attachment.has_value());
  EXPECT_EQ(m.attachment->path,
            "/var/lib/fangfan/files/lists/civil/2026-12-01/县民政局-2026-12-01.xlsx");
  EXPECT_EQ(m.attachment->file_name, "县民政局-2026-12-01.xlsx");
  EXPECT_EQ(m.attachment->sha256,
            "abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd");
  EXPECT_EQ(m.attachment->size, 52113u);
  EXPECT_EQ(m.recipient, "/srv/drop/civil");
  EXPECT_FALSE(m.text.empty());
  EXPECT_EQ(m.params.at("period"), "2026-12-01");
  EXPECT_FALSE(by_id.at(without).attachment.has_value());
  EXPECT_EQ(row(with_file).status, OutboxStatus::kSent);
}

TEST_F(OutboxDispatcherTest, PlainTextBodyGoesAsItIs) {
  const auto id = enqueue("old", "wechat_app", officer_.wechat, "deadline_notice",
                          "王** 户的入户核实将于 2025-03-10 到期");
  pass();
  ASSERT_EQ(channel("wechat_app").calls.size(), 1u);
  EXPECT_EQ(channel("wechat_app").calls[0].text, "王** 户的入户核实将于 2025-03-10 到期");
  EXPECT_EQ(row(id).status, OutboxStatus::kSent);
}

TEST_F(OutboxDispatcherTest, QuietHoursHoldSmsUntilEight) {
  clock_.advance(at("2025-03-04T22:15") - clock_.now());
  const auto sms = notice("late", "sms_aliyun");
  const auto wechat = notice("late-wechat");
  pass();
  EXPECT_TRUE(channel("sms_aliyun").calls.empty());
  EXPECT_EQ(channel("wechat_app").calls.size(), 1u);  // WeChat Work does not ring at night
  EXPECT_EQ(row(wechat).status, OutboxStatus::kSent);
  auto r = row(sms);
  EXPECT_EQ(r.status, OutboxStatus::kPending);
  EXPECT_EQ(r.attempts, 0);
  EXPECT_EQ(r.next_attempt_at, at("2025-03-05T08:00"));
  EXPECT_NE(r.hold_reason.find("静默时段"), std::string::npos) << r.hold_reason;
  EXPECT_EQ(r.last_error, "");

  clock_.advance(at("2025-03-05T07:59:59") - clock_.now());
  pass();
  EXPECT_TRUE(channel("sms_aliyun").calls.empty());
  clock_.advance(1s);
  pass();
  ASSERT_EQ(channel("sms_aliyun").calls.size(), 1u);
  EXPECT_EQ(channel("sms_aliyun").calls[0].recipient, officer_.phone);
  EXPECT_EQ(row(sms).status, OutboxStatus::kSent);
}

TEST_F(OutboxDispatcherTest, SixLateVisitsGoAsOneDigest) {
  config_->delivery.digest_window = 300s;
  std::vector<std::int64_t> visits;
  const char* heads[] = {"王*", "李*", "张*", "刘*", "陈*", "杨*"};
  for (int i = 0; i < 6; ++i) {
    visits.push_back(enqueue(
        "visits:" + std::to_string(i) + ":2025-02:1:李明@379901001001", "wechat_app",
        officer_.wechat, "visit_overdue",
        std::string(R"({"case_id":")") + std::to_string(100 + i) + R"(","household":")" + heads[i] +
            R"(","village":"东村","township":"379901001","month":"2025-02","recorded":"0",)"
            R"("required":"2","due_date":"2025-02-28","officer":"李*","days_overdue":"4",)"
            R"("rung":"1"})",
        kOfficerKey));
    clock_.advance(10s);
  }
  pass();  // inside the window after the first: nothing yet
  EXPECT_TRUE(channel("wechat_app").calls.empty());
  EXPECT_EQ(row(visits[0]).next_attempt_at, row(visits[0]).created_at + 300s);
  clock_.advance(row(visits[0]).created_at + 300s - clock_.now() - 1s);
  pass();
  EXPECT_TRUE(channel("wechat_app").calls.empty());
  clock_.advance(1s);
  pass();
  ASSERT_EQ(channel("wechat_app").calls.size(), 1u);
  const auto& m = channel("wechat_app").calls[0];
  EXPECT_EQ(m.message_type, "digest");
  EXPECT_EQ(m.params.at("count"), "6");
  EXPECT_NE(m.text.find("您有6条提醒"), std::string::npos) << m.text;
  for (const char* h : heads) EXPECT_NE(m.text.find(std::string("东村") + h), std::string::npos);
  for (auto id : visits) {
    const auto r = row(id);
    EXPECT_EQ(r.status, OutboxStatus::kSent) << id;
    EXPECT_EQ(r.digest_of, m.outbox_id);
    EXPECT_EQ(r.provider_message_id, "pm-" + std::to_string(m.outbox_id));
  }
  EXPECT_EQ(dispatcher().stats().digests, 1);
  pass();
  EXPECT_EQ(channel("wechat_app").calls.size(), 1u);  // nothing left to send
}

TEST_F(OutboxDispatcherTest, SingleReminderGoesAloneAfterTheWindow) {
  const auto id =
      enqueue("step:1:李明@379901001001", "wechat_app", officer_.wechat, "step_reminder",
              R"({"household":"王*","step_label":"入户核实"})", kOfficerKey);
  pass();
  EXPECT_TRUE(channel("wechat_app").calls.empty());
  clock_.advance(config_->delivery.digest_window);
  pass();
  ASSERT_EQ(channel("wechat_app").calls.size(), 1u);
  EXPECT_EQ(channel("wechat_app").calls[0].message_type, "step_reminder");
  EXPECT_EQ(row(id).status, OutboxStatus::kSent);
  EXPECT_EQ(row(id).digest_of, std::nullopt);
}

TEST_F(OutboxDispatcherTest, TransportFailuresBackOffThenSucceed) {
  int n = 0;
  channel("wechat_app").answer = [&n](const OutgoingMessage& m) {
    return ++n <= 2 ? retry() : DeliveryResult::sent("ok-" + std::to_string(m.outbox_id));
  };
  const auto id = notice("r");
  pass();
  auto r = row(id);
  EXPECT_EQ(r.status, OutboxStatus::kPending);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(r.last_error, "HTTP 503");
  EXPECT_EQ(r.next_attempt_at, clock_.now() + 30s);  // random 0: the full backoff
  clock_.advance(29s);
  pass();
  EXPECT_EQ(n, 1);
  clock_.advance(1s);
  pass();
  EXPECT_EQ(n, 2);
  EXPECT_EQ(row(id).next_attempt_at, clock_.now() + 60s);  // doubled
  clock_.advance(60s);
  pass();
  r = row(id);
  EXPECT_EQ(r.status, OutboxStatus::kSent);
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(dispatcher().stats().retried, 2);
}

TEST_F(OutboxDispatcherTest, RateLimitDelaysWithoutUsingAnAttempt) {
  int n = 0;
  channel("wechat_app").answer = [&n](const OutgoingMessage&) {
    return ++n <= 4 ? DeliveryResult::failed(DeliveryResult::Outcome::kRateLimited, "45009",
                                             "45009 api freq out of limit", 120s)
                    : DeliveryResult::sent("ok");
  };
  const auto id = notice("rl");
  for (int i = 0; i < 4; ++i) {
    pass();
    auto r = row(id);
    EXPECT_EQ(r.status, OutboxStatus::kPending);
    EXPECT_EQ(r.attempts, 0);  // max_attempts is 3: four rate limits must not kill it
    EXPECT_EQ(r.provider_code, "45009");
    EXPECT_EQ(r.next_attempt_at, clock_.now() + 120s);
    clock_.advance(120s);
  }
  pass();
  EXPECT_EQ(row(id).status, OutboxStatus::kSent);
  EXPECT_EQ(row(id).attempts, 1);
}

TEST_F(OutboxDispatcherTest, PermanentFailureMovesToThePersonsNextChannel) {
  channel("wechat_app").answer = [](const OutgoingMessage&) {
    return DeliveryResult::failed(DeliveryResult::Outcome::kPermanent, "60020",
                                  "60020 not allow to access from your ip");
  };
  const auto id = notice("p");
  pass();
  auto r = row(id);
  EXPECT_EQ(r.status, OutboxStatus::kFailed);
  EXPECT_EQ(r.provider_code, "60020");
  EXPECT_NE(r.last_error.find("改由 sms_aliyun 发送"), std::string::npos) << r.last_error;
  const auto all = rows();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].dedupe_key, r.dedupe_key + ">sms_aliyun");
  EXPECT_EQ(all[1].channel, "sms_aliyun");
  EXPECT_EQ(all[1].recipient, officer_.phone);
  pass();
  ASSERT_EQ(channel("sms_aliyun").calls.size(), 1u);
  EXPECT_EQ(channel("sms_aliyun").calls[0].text, channel("wechat_app").calls[0].text);
  EXPECT_EQ(row(all[1].id).status, OutboxStatus::kSent);
  EXPECT_TRUE(channel("file").calls.empty());  // it arrived: nobody to tell
}

TEST_F(OutboxDispatcherTest, TheNextChannelIsTheStoredPersonsNotTheKeys) {
  channel("wechat_app").answer = [](const OutgoingMessage&) {
    return DeliveryResult::failed(DeliveryResult::Outcome::kPermanent, "40003",
                                  "40003 invalid userid");
  };
  // The key names nobody; the row's person decides.
  const auto id = enqueue("no-name-in-this-key", "wechat_app", officer_.wechat, "written_notice",
                          R"({"text":"x"})", kOfficerKey);
  // A row without a person (queued before the outbox kept it) is for nobody known: no next
  // channel, even when its key names the officer; the admin is told instead.
  const auto old = enqueue("old:李明@379901001001", "wechat_app", officer_.wechat, "written_notice",
                           R"({"text":"y"})");
  pass();
  EXPECT_EQ(row(id).status, OutboxStatus::kFailed);
  EXPECT_EQ(row(old).status, OutboxStatus::kFailed);
  const auto all = rows();
  ASSERT_EQ(all.size(), 4u);  // the two, the officer's SMS copy, one dead letter
  auto find = [&](const std::string& type) {
    auto it = std::find_if(all.begin() + 2, all.end(),
                           [&](const OutboxRecord& r) { return r.message_type == type; });
    return it == all.end() ? OutboxRecord{} : *it;
  };
  const OutboxRecord copy = find("written_notice");
  EXPECT_EQ(copy.dedupe_key, "no-name-in-this-key>sms_aliyun");
  EXPECT_EQ(copy.channel, "sms_aliyun");
  EXPECT_EQ(copy.recipient, officer_.phone);
  EXPECT_EQ(copy.person, kOfficerKey);
  const OutboxRecord dead_letter = find("dead_letter");
  EXPECT_EQ(dead_letter.person, "周建国@379901");
  EXPECT_NE(dead_letter.body.find("\"outbox_id\":\"" + std::to_string(old) + "\""),
            std::string::npos)
      << dead_letter.body;
}

TEST_F(OutboxDispatcherTest, UnconfiguredChannelMovesOnAndTheLastChannelTellsTheAdmin) {
  officer_.channels = {"webhook", "wechat_app"};
  config_->people = {officer_, admin_};
  channel("wechat_app").answer = [](const OutgoingMessage&) {
    return DeliveryResult::failed(DeliveryResult::Outcome::kPermanent, "40003",
                                  "40003 invalid userid");
  };
  const auto id = enqueue("w:李明@379901001001", "webhook", address_for(officer_, "webhook"),
                          "written_notice", R"({"text":"x"})", kOfficerKey);
  pass();
  EXPECT_EQ(row(id).status, OutboxStatus::kFailed);
  EXPECT_NE(row(id).last_error.find("not configured"), std::string::npos);
  pass();  // the wechat_app copy: refused, no channel left -> failed, the admin is told
  pass();
  ASSERT_EQ(channel("file").calls.size(), 1u);
  const auto& notice_text = channel("file").calls[0].text;
  EXPECT_EQ(channel("file").calls[0].message_type, "dead_letter");
  EXPECT_NE(notice_text.find("40003 invalid userid"), std::string::npos) << notice_text;
}

TEST_F(OutboxDispatcherTest, DeadAfterMaxAttemptsTellsEachAdminOnce) {
  auto second_admin = person("吴秀兰", Role::kCountyAdmin, "379901", {"file"});
  config_->people.push_back(second_admin);
  channel("wechat_app").answer = [](const OutgoingMessage&) { return retry("timeout"); };
  const auto id = notice("d");
  for (int i = 0; i < 10; ++i) {
    pass();
    clock_.advance(2h);
  }
  auto r = row(id);
  EXPECT_EQ(r.status, OutboxStatus::kDead);
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(channel("wechat_app").calls.size(), 3u);
  ASSERT_EQ(channel("file").calls.size(), 2u);  // one per admin, never again
  std::set<std::string> told;
  for (const auto& c : channel("file").calls) {
    EXPECT_EQ(c.message_type, "dead_letter");
    EXPECT_EQ(c.params.at("outbox_id"), std::to_string(id));
    EXPECT_EQ(c.params.at("recipient_masked"), officer_.wechat);
    EXPECT_FALSE(contains_unmasked_identifiers(c.text));
    told.insert(c.recipient);
  }
  EXPECT_EQ(told, (std::set<std::string>{"周建国@379901", "吴秀兰@379901"}));
  EXPECT_EQ(dispatcher().stats().dead, 1);
  // An operator's retry and a second death tell nobody twice.
  ASSERT_TRUE(requeue_outbox(*session_, id, clock_.now()));
  // The channel is still down: the breaker holds it and its probes cost no attempt, so the
  // message dies once it has waited [delivery] give_up_after (24 h) since the retry.
  for (int i = 0; i < 14; ++i) {
    pass();
    clock_.advance(2h);
  }
  EXPECT_EQ(row(id).status, OutboxStatus::kDead);
  EXPECT_EQ(channel("file").calls.size(), 2u);
}

TEST_F(OutboxDispatcherTest, UnmaskedIdentifiersAreStoppedNotSent) {
  const auto id = enqueue("leak:李明@379901001001", "wechat_app", officer_.wechat, "written_notice",
                          R"({"text":"联系电话 13812345678"})", kOfficerKey);
  pass();
  EXPECT_TRUE(channel("wechat_app").calls.empty());
  EXPECT_TRUE(channel("sms_aliyun").calls.empty());
  auto r = row(id);
  EXPECT_EQ(r.status, OutboxStatus::kFailed);
  EXPECT_NE(r.last_error.find("未打码"), std::string::npos);
  EXPECT_EQ(r.last_error.find("13812345678"), std::string::npos);
  pass();
  ASSERT_EQ(channel("file").calls.size(), 1u);  // the admin hears of it
  EXPECT_FALSE(contains_unmasked_identifiers(channel("file").calls[0].text));
}

TEST_F(OutboxDispatcherTest, BreakerHoldsTheChannelThenProbesOnce) {
  config_->delivery.breaker = {2, 300s};
  config_->delivery.max_attempts = 20;
  bool up = false;
  channel("wechat_app").answer = [&up](const OutgoingMessage& m) {
    return up ? DeliveryResult::sent("ok-" + std::to_string(m.outbox_id)) : retry();
  };
  config_->delivery.concurrency = 1;
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(notice("b" + std::to_string(i)));
  pass();
  // The breaker is asked at each send, not once per batch: after two failures the other two
  // messages of the batch go back unsent, their attempts given back.
  EXPECT_EQ(channel("wechat_app").calls.size(), 2u);
  EXPECT_EQ(row(ids[2]).attempts, 0);
  EXPECT_EQ(row(ids[3]).attempts, 0);
  const TimePoint opened = clock_.now();
  clock_.advance(4min);  // backoffs have passed; the breaker is still open
  pass();
  EXPECT_EQ(channel("wechat_app").calls.size(), 2u);
  for (const auto& r : rows()) {
    EXPECT_EQ(r.status, OutboxStatus::kPending);
    EXPECT_EQ(r.next_attempt_at, opened + 300s);
    EXPECT_NE(r.hold_reason.find("暂停"), std::string::npos) << r.hold_reason;
  }
  // Waiting does not hide why the first two failed.
  EXPECT_EQ(row(ids[0]).last_error, "HTTP 503");
  clock_.advance(opened + 300s - clock_.now());
  up = true;
  pass();
  EXPECT_EQ(channel("wechat_app").calls.size(), 3u);  // one probe
  clock_.advance(60s);
  pass();
  EXPECT_EQ(channel("wechat_app").calls.size(), 6u);  // closed again: the rest go
  for (const auto& r : rows()) {
    EXPECT_EQ(r.status, OutboxStatus::kSent);
    EXPECT_EQ(r.hold_reason, "");
  }
}

TEST_F(OutboxDispatcherTest, FailedProbesCostNoAttemptsInALongOutage) {
  // Three attempts each; the channel is down for two hours: without the rule the message that
  // is the probe each time would die after three cool-downs.
  config_->delivery.breaker = {2, 300s};
  config_->delivery.max_attempts = 3;
  config_->delivery.concurrency = 1;
  bool up = false;
  channel("wechat_app").answer = [&up](const OutgoingMessage& m) {
    return up ? DeliveryResult::sent("ok-" + std::to_string(m.outbox_id)) : retry();
  };
  for (int i = 0; i < 3; ++i) notice("p" + std::to_string(i));
  const TimePoint start = clock_.now();
  int probes = 0;
  while (clock_.now() < start + 2h) {
    const auto before = channel("wechat_app").calls.size();
    pass();
    if (clock_.now() > start && channel("wechat_app").calls.size() > before) ++probes;
    clock_.advance(60s);
  }
  EXPECT_GE(probes, 20);  // one probe every cool-down
  for (const auto& r : rows()) {
    EXPECT_EQ(r.status, OutboxStatus::kPending) << r.id;
    EXPECT_LE(r.attempts, 1) << r.id;  // only the failures before the breaker opened count
  }
  EXPECT_EQ(dispatcher().stats().dead, 0);
  up = true;
  clock_.advance(5min);
  pass();
  clock_.advance(60s);
  pass();
  for (const auto& r : rows()) EXPECT_EQ(r.status, OutboxStatus::kSent) << r.id;
  EXPECT_TRUE(channel("file").calls.empty());  // no dead-letter notice
}

TEST_F(OutboxDispatcherTest, AProbeBlockedBeforeSendingDoesNotHoldTheChannelForGood) {
  config_->delivery.breaker = {2, 300s};
  config_->delivery.concurrency = 1;
  bool up = false;
  channel("wechat_app").answer = [&up](const OutgoingMessage& m) {
    return up ? DeliveryResult::sent("ok-" + std::to_string(m.outbox_id)) : retry();
  };
  const auto first = notice("p1");
  const auto second = notice("p2");
  pass();  // both fail: the breaker opens
  const TimePoint opened = clock_.now();
  clock_.advance(200s);
  pass();  // their backoff is over, but the channel is held: both wait for opened + 300 s
  EXPECT_EQ(row(first).next_attempt_at, opened + 300s);
  // Due just before them when the cool-down ends, so it is the probe: its text holds an
  // unmasked phone, so it is refused before it reaches the channel.
  clock_.advance(99s);
  const auto leaky = enqueue("leaky:李明@379901001001", "wechat_app", officer_.wechat,
                             "written_notice", "请联系 13812345678", kOfficerKey);
  up = true;
  clock_.advance(opened + 300s - clock_.now());
  pass();
  EXPECT_EQ(row(leaky).status, OutboxStatus::kFailed);
  for (int minute = 0; minute < 5; ++minute) {
    clock_.advance(60s);
    pass();
  }
  EXPECT_EQ(row(first).status, OutboxStatus::kSent);
  EXPECT_EQ(row(second).status, OutboxStatus::kSent);
}

TEST_F(OutboxDispatcherTest, AnOutageLongerThanGiveUpAfterEndsInADeadLetter) {
  config_->delivery.breaker = {2, 300s};
  config_->delivery.max_attempts = 8;
  config_->delivery.concurrency = 1;
  config_->delivery.give_up_after = 1h;
  channel("wechat_app").answer = [](const OutgoingMessage&) { return retry(); };
  const auto id = notice("long");
  const TimePoint start = clock_.now();
  while (clock_.now() < start + 2h) {
    pass();
    clock_.advance(60s);
  }
  auto r = row(id);
  EXPECT_EQ(r.status, OutboxStatus::kDead);
  EXPECT_LT(r.attempts, 8);  // probes did not count; the age did
  EXPECT_NE(r.last_error.find("1 小时内未能送达"), std::string::npos) << r.last_error;
  ASSERT_EQ(channel("file").calls.size(), 1u);  // the county admin, once
  EXPECT_EQ(channel("file").calls[0].message_type, "dead_letter");
}

TEST_F(OutboxDispatcherTest, PacingKeepsARobotGroupBelowItsLimit) {
  config_->delivery.per_recipient_per_minute["wechat_robot"] = 15;
  auto group = person("东村工作群", Role::kVillageOfficer, "379901001001", {"wechat_robot"});
  config_->people.push_back(group);
  for (int i = 0; i < 20; ++i) {
    enqueue("g" + std::to_string(i), "wechat_robot", address_for(group, "wechat_robot"),
            "written_notice", R"({"text":"通知"})");
  }
  pass();
  EXPECT_EQ(channel("wechat_robot").calls.size(), 15u);
  clock_.advance(59s);
  pass();
  EXPECT_EQ(channel("wechat_robot").calls.size(), 15u);
  clock_.advance(1s);
  pass();
  EXPECT_EQ(channel("wechat_robot").calls.size(), 20u);
}

TEST_F(OutboxDispatcherTest, PacingCountsARobotGroupOnceForEveryoneItReaches) {
  // Two people of 东岭镇 are addressed "name@scope"; both reach the township's one group, whose
  // provider limit (20 a minute) they share.
  testing::FakeProviders fake;
  HttpClient http;
  SystemClock wall;
  WechatRobotConfig robot;
  robot.enabled = true;
  robot.base_url = fake.base_url();
  robot.groups.push_back({"东岭镇工作群", "379901001", fake.secrets().robot_keys[0], {}});
  dispatcher().add_channel(std::make_shared<WechatRobotChannel>(robot, http, wall, 5000ms));
  config_->delivery.per_recipient_per_minute["wechat_robot"] = 15;
  for (int i = 0; i < 10; ++i) {
    for (const char* who : {"郑海峰@379901001", "王丽@379901001"}) {
      enqueue("r" + std::to_string(i) + who, "wechat_robot", who, "written_notice",
              R"({"text":"通知"})");
    }
  }
  pass();
  EXPECT_EQ(fake.accepted("wechat_robot").size(), 15u);  // not 20: one group, one limit
  clock_.advance(60s);
  pass();
  EXPECT_EQ(fake.accepted("wechat_robot").size(), 20u);
}

TEST_F(OutboxDispatcherTest, ConcurrencyIsBounded) {
  config_->delivery.concurrency = 4;
  config_->delivery.per_recipient_per_minute["wechat_app"] = 0;  // no pacing here
  channel("wechat_app").delay = 30ms;
  for (int i = 0; i < 40; ++i) notice("c" + std::to_string(i));
  pass();
  EXPECT_EQ(channel("wechat_app").calls.size(), 40u);
  EXPECT_LE(channel("wechat_app").max_in_flight, 4);
  EXPECT_GE(channel("wechat_app").max_in_flight, 2);  // and they did overlap
  for (const auto& r : rows()) EXPECT_EQ(r.status, OutboxStatus::kSent);
}

TEST_F(OutboxDispatcherTest, DrainsToTheWebhookGatewayOverLoopbackHttp) {
  testing::FakeProviders fake;
  fake.script("webhook", testing::FakeAnswer::kServerError, 1);
  HttpClient http;
  SystemClock wall;
  WebhookConfig hook;
  hook.enabled = true;
  hook.url = fake.base_url() + "/hook";
  officer_.channels = {"webhook"};
  config_->people = {officer_, admin_};
  dispatcher().add_channel(std::make_shared<WebhookChannel>(hook, http, wall, 5000ms));
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(notice("h" + std::to_string(i), "webhook"));
  pass();
  EXPECT_EQ(dispatcher().stats().retried, 1);  // the scripted 502
  EXPECT_EQ(dispatcher().stats().sent, 4);
  clock_.advance(30s);
  pass();
  EXPECT_EQ(fake.accepted("webhook").size(), 5u);
  for (auto id : ids) EXPECT_EQ(row(id).status, OutboxStatus::kSent) << id;
}

TEST_F(OutboxDispatcherTest, RunRecoversInterruptedSendsAndStopsOnCancel) {
  const auto id = notice("crash");
  ASSERT_TRUE(claim_outbox(*session_, id));  // a previous process died mid-send
  asio::cancellation_signal stop;
  bool finished = false;
  asio::co_spawn(
      io_, dispatcher().run(),
      asio::bind_cancellation_slot(stop.slot(), [&](std::exception_ptr) { finished = true; }));
  for (int i = 0; i < 200 && channel("wechat_app").calls.empty(); ++i) {
    io_.restart();
    io_.run_for(5ms);
  }
  ASSERT_EQ(channel("wechat_app").calls.size(), 1u);
  stop.emit(asio::cancellation_type::terminal);
  for (int i = 0; i < 200 && !finished; ++i) {
    io_.restart();
    io_.run_for(5ms);
  }
  EXPECT_TRUE(finished);
  EXPECT_EQ(row(id).status, OutboxStatus::kSent);
  EXPECT_EQ(row(id).attempts, 2);
}

// Claims ahead (issue 15): while the first deliveries are out, the next messages are already
// claimed, so the channel never waits for a claim. A pass stopped then gives every claimed
// message that no channel got back as it was (pending, its attempt returned): none stays
// "sending" and none is delivered twice.
TEST_F(OutboxDispatcherTest, ClaimsAheadWhileSendingAndGivesBackWhatNoChannelGotWhenStopped) {
  const int concurrency = 8;
  config_->delivery.concurrency = concurrency;
  config_->delivery.per_recipient_per_minute["wechat_app"] = 0;  // no pacing here
  channel("wechat_app").delay = 40ms;
  // More than one read takes (claim_batch): the second read and its claims come while the
  // first deliveries are out, not after the first read's messages all went.
  const int messages = OutboxDispatcher::claim_batch(concurrency) + 100;
  std::vector<std::int64_t> ids;
  {
    WriteTransaction tx(*session_);
    for (int i = 0; i < messages; ++i) ids.push_back(notice("ahead" + std::to_string(i)));
    tx.commit();
  }
  asio::cancellation_signal stop;
  bool finished = false;
  asio::co_spawn(io_, dispatcher().dispatch_due(),
                 asio::bind_cancellation_slot(stop.slot(), [&](std::exception_ptr e) {
                   EXPECT_FALSE(e);
                   finished = true;
                 }));
  auto count = [&](const char* status) {
    long long n = 0;
    *session_ << "SELECT COUNT(*) FROM outbox WHERE status = :s", soci::use(std::string(status)),
        soci::into(n);
    return n;
  };
  // Claimed: "sending" (not answered yet) or "sent". Before half of the first read's messages
  // went out, the second read's were claimed too (taking turns, they would be claimed after
  // all of the first read's went).
  const std::size_t half = std::size_t(OutboxDispatcher::claim_batch(concurrency) / 2);
  long long claimed = 0;
  for (int i = 0; i < 3000 && claimed < messages && channel("wechat_app").calls.size() < half;
       ++i) {
    io_.restart();
    io_.run_for(2ms);
    claimed = count("sending") + count("sent");
  }
  EXPECT_EQ(claimed, messages);
  EXPECT_LT(channel("wechat_app").calls.size(), half);
  stop.emit(asio::cancellation_type::terminal);
  for (int i = 0; i < 400 && !finished; ++i) {
    io_.restart();
    io_.run_for(5ms);
  }
  ASSERT_TRUE(finished);
  std::set<std::int64_t> delivered;
  for (const auto& m : channel("wechat_app").calls) {
    EXPECT_TRUE(delivered.insert(m.outbox_id).second) << m.outbox_id;
  }
  EXPECT_LT(delivered.size(), ids.size());  // stopped before the end
  EXPECT_EQ(count("sending"), 0);
  for (const auto id : ids) {
    const OutboxRecord r = row(id);
    if (delivered.count(id)) {
      EXPECT_EQ(r.status, OutboxStatus::kSent) << id;
      EXPECT_EQ(r.attempts, 1) << id;
    } else {
      EXPECT_EQ(r.status, OutboxStatus::kPending) << id;
      EXPECT_EQ(r.attempts, 0) << id;
    }
  }
}

// The pass counts its commits (bench/outbox_drain prints them beside the rate): every message is
// claimed once and its answer written once, alone or riding along with a claim.
TEST_F(OutboxDispatcherTest, CountsEveryMessageOnceInItsClaimAndItsAnswersWrite) {
  config_->delivery.concurrency = 8;
  config_->delivery.per_recipient_per_minute["wechat_app"] = 0;  // no pacing here
  const int messages = OutboxDispatcher::claim_batch(8) + 300;   // two reads, two claims
  {
    WriteTransaction tx(*session_);
    for (int i = 0; i < messages; ++i) notice("count" + std::to_string(i));
    tx.commit();
  }
  pass();
  ASSERT_EQ(channel("wechat_app").calls.size(), std::size_t(messages));
  const DispatchStats& st = dispatcher().stats();
  EXPECT_EQ(st.claims, 2);
  EXPECT_EQ(st.claimed, messages);
  EXPECT_EQ(st.answers_written + st.answers_with_claims, messages);
  EXPECT_GE(st.answer_writes, 1);
  EXPECT_LE(st.answer_writes, messages);
}

// An advance of a simulated clock (Scheduler::advance_to): one pass between pause and resume.
asio::awaitable<void> advance(OutboxDispatcher& d) {
  co_await d.pause();
  co_await d.deliver_due();
  d.resume();
}

TEST_F(OutboxDispatcherTest, StartRecoveryNeverRequeuesWhatAPassIsSending) {
  // A pass (here an advance) claims a message and is delivering it when run() starts: the
  // recovery of "sending" rows must wait for that pass, or it puts the message back to pending
  // and it goes out twice.
  const auto id = notice("advance");
  channel("wechat_app").delay = 200ms;
  bool advanced = false;
  asio::co_spawn(io_, advance(dispatcher()), [&](std::exception_ptr e) {
    EXPECT_FALSE(e);
    advanced = true;
  });
  for (int i = 0; i < 200 && channel("wechat_app").in_flight == 0; ++i) {
    io_.restart();
    io_.run_for(5ms);
  }
  ASSERT_EQ(channel("wechat_app").in_flight, 1);
  ASSERT_EQ(row(id).status, OutboxStatus::kSending);

  asio::cancellation_signal stop;
  bool finished = false;
  asio::co_spawn(
      io_, dispatcher().run(),
      asio::bind_cancellation_slot(stop.slot(), [&](std::exception_ptr) { finished = true; }));
  for (int i = 0; i < 200 && !advanced; ++i) {
    io_.restart();
    io_.run_for(5ms);
  }
  ASSERT_TRUE(advanced);
  for (int i = 0; i < 60; ++i) {  // run()'s own pass, which must find nothing to send
    io_.restart();
    io_.run_for(5ms);
  }
  stop.emit(asio::cancellation_type::terminal);
  for (int i = 0; i < 200 && !finished; ++i) {
    io_.restart();
    io_.run_for(5ms);
  }
  EXPECT_TRUE(finished);
  EXPECT_EQ(channel("wechat_app").calls.size(), 1u);
  EXPECT_EQ(row(id).status, OutboxStatus::kSent);
  EXPECT_EQ(row(id).attempts, 1);
}

// The duplicate bound (issue 15): while a write of answers hangs (the storage thread is stuck
// in it), deliveries go on only until unrecorded_bound(concurrency) messages are unrecorded, and
// not one more: what a SIGKILL at that moment would send again. Once the write ends, the rest go
// out and every message is recorded sent. Messages to distinct addresses, so pacing holds none.
TEST(OutboxDispatcherBound, DeliveriesStopAtTheUnrecordedBoundWhileAnswersAreNotWritten) {
  for (const int concurrency : {1, 8, 32, 40}) {
    SCOPED_TRACE("concurrency " + std::to_string(concurrency));
    const int bound = OutboxDispatcher::unrecorded_bound(concurrency);
    const int messages = bound + 40;
    const fs::path dir =
        fs::temp_directory_path() / ("fangfan-dispatcher-bound-" + std::to_string(::getpid()) +
                                     "-" + std::to_string(concurrency));
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::mutex mutex;
    std::condition_variable released;
    bool hold = true;
    std::atomic<int> held{0};
    DatabaseOptions options;
    options.query_filter = [&](const std::string& q) {
      if (q.rfind("UPDATE outbox SET status = 'sent'", 0) == 0) {
        std::unique_lock lock(mutex);
        ++held;
        released.wait(lock, [&] { return !hold; });
      }
      return q;
    };
    const SimulatedClock clock(at("2025-03-03T09:00"));
    auto db =
        std::make_shared<Database>(Database::open("sqlite3://" + (dir / "f.db").string(), options));
    migrate(*db, clock.now());
    {
      auto s = db->open_session();
      WriteTransaction tx(*s);
      for (int i = 0; i < messages; ++i) {
        NewOutboxMessage m;
        m.dedupe_key = "bound:" + std::to_string(i);
        m.channel = "file";
        m.recipient = "r" + std::to_string(i);
        m.message_type = "written_notice";
        m.body = "请核对走访记录";
        m.created_at = clock.now();
        m.next_attempt_at = clock.now();
        enqueue_outbox(*s, m);
      }
      tx.commit();
    }
    auto config = std::make_shared<Config>();
    config->delivery.concurrency = concurrency;
    config->delivery.per_recipient_per_minute.clear();
    asio::io_context io;
    auto storage = std::make_unique<StorageExecutor>(db, 2);
    auto channel = std::make_shared<RecordingChannel>("file");
    OutboxDispatcher dispatcher(io.get_executor(), *storage, clock, config, [] { return 0.0; });
    dispatcher.add_channel(channel);
    auto done = asio::co_spawn(io, dispatcher.dispatch_due(), asio::use_future);
    // Run until the deliveries stop (the first write hangs, so they must).
    std::size_t seen = 0;
    for (int quiet = 0; quiet < 20 && channel->calls.size() < std::size_t(messages);) {
      io.restart();
      io.run_for(5ms);
      quiet = channel->calls.size() == seen && held > 0 ? quiet + 1 : 0;
      seen = channel->calls.size();
    }
    EXPECT_EQ(held.load(), 1);  // one write at a time: the next waits for it
    EXPECT_EQ(channel->calls.size(), std::size_t(bound));
    {
      std::lock_guard lock(mutex);
      hold = false;
    }
    released.notify_all();
    while (done.wait_for(0s) != std::future_status::ready) {
      io.restart();
      io.run_for(5ms);
    }
    done.get();
    EXPECT_EQ(channel->calls.size(), std::size_t(messages));
    EXPECT_EQ(dispatcher.stats().sent, messages);
    auto s = db->open_session();
    long long sent = 0;
    *s << "SELECT COUNT(*) FROM outbox WHERE status = 'sent'", soci::into(sent);
    EXPECT_EQ(sent, messages);
    s.reset();
    storage->join();
    fs::remove_all(dir);
  }
}

}  // namespace
}  // namespace fangfan
