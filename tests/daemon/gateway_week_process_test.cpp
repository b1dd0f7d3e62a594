// Issue 6's "done when": the example configuration with its people on the real gateways, pointed
// at the fake providers (the fangfan_fake_provider process, which checks each request the way the
// provider does: WeChat Work token and agent, Alibaba's HMAC-SHA1 RPC signature, Tencent's TC3,
// the webhook's fields), and a week of simulated time through the running fangfand.
//
// Households of the example county are taken to the week of Tue 2025-04-01 .. Tue 04-08 with
// visits and monitoring missed and two household verifications left overdue, so that in the week
// visit, monitoring and step notices go to officers, clerks and township heads on every gateway
// (WeChat Work app and group robot, Alibaba and Tencent SMS, the county's webhook). WeChat Work is
// down (HTTP 502) for the hour from 08:00 on 04-01, when most of the week's notices fall due.
//
// Then, from the outbox and the fake's request log:
//   - every message queued, before and during the week, was sent exactly once: each accepted
//     request is one sent outbox row and each sent row is one accepted request (SMS OutId /
//     SessionContext and the webhook's Idempotency-Key are the outbox id; WeChat's msgid and
//     the others' answer ids are kept as the provider message id);
//   - signed: no request was refused by a provider's check (only the scripted 502s failed);
//   - masked: no household member's name, ID number or phone is in any request;
//   - grouped: an officer's notices of one morning went as one digest;
//   - the outage delayed messages without losing one: none dead, none failed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "tests/daemon/county_daemon.h"
#include "tests/support/fake_provider_process.h"
#include "workflows/message_templates.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;
namespace json = boost::json;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

// SMS templates (provider template code -> the message params that fill it), one per type the
// week can send by SMS.
constexpr const char* kSmsTemplates =
    "templates = { step_reminder = { code = \"%CODE%1\", params = [\"village\", \"household\", "
    "\"step_label\", \"due_date\"] }, step_overdue = { code = \"%CODE%2\", params = [\"village\", "
    "\"household\", \"step_label\", \"days_overdue\"] }, visit_reminder = { code = \"%CODE%3\", "
    "params = [\"village\", \"household\", \"month\", \"due_date\"] }, visit_overdue = { code = "
    "\"%CODE%4\", params = [\"village\", \"household\", \"month\", \"days_overdue\"] }, "
    "monitoring_reminder = { code = \"%CODE%5\", params = [\"village\", \"household\", "
    "\"month\", \"due_date\"] }, monitoring_overdue = { code = \"%CODE%6\", params = "
    "[\"village\", \"household\", \"month\", \"days_overdue\"] }, digest = { code = \"%CODE%7\", "
    "params = [\"count\"] }, written_notice = { code = \"%CODE%8\", params = [\"village\", "
    "\"household\", \"case_id\"] }, support_only_household = { code = \"%CODE%9\", params "
    "= [\"village\", \"household\", \"case_id\"] }, "
    // The example county's registration duty, alert loop and yearly Q4 screening (issue 14):
    // what they send a township clerk.
    "assignment_task = { code = \"%CODE%10\", params = [\"village\", \"household\", "
    "\"due_date\"] }, assignment_overdue = { code = \"%CODE%11\", params = [\"village\", "
    "\"household\", \"days_overdue\"] }, alert_case_new = { code = \"%CODE%12\", params = "
    "[\"village\", \"household\", \"rule_label\", \"due_date\"] }, major_event = { code = "
    "\"%CODE%13\", params = [\"village\", \"household\", \"rule_label\", \"due_date\"] }, "
    "alert_step_task = { code = \"%CODE%14\", params = [\"village\", \"household\", "
    "\"step_label\", \"due_date\"] }, alert_step_reminder = { code = \"%CODE%15\", params = "
    "[\"village\", \"household\", \"step_label\", \"due_date\"] }, campaign_reminder = { "
    "code = \"%CODE%16\", params = [\"township_name\", \"campaign_label\", "
    "\"milestone_label\", \"due_date\"] } }\n";

std::string sms_templates(const std::string& code_prefix) {
  std::string t = kSmsTemplates;
  for (auto at = t.find("%CODE%"); at != std::string::npos; at = t.find("%CODE%")) {
    t.replace(at, 6, code_prefix);
  }
  return t;
}

// One request the fake logged.
struct Hit {
  std::string provider;
  bool accepted = false;
  std::string reason;
  std::string line;  // the whole JSON line (for the masking check)
  std::map<std::string, std::string> fields;
};

std::vector<Hit> read_hits(const fs::path& log) {
  std::vector<Hit> out;
  std::ifstream in(log);
  for (std::string line; std::getline(in, line);) {
    json::value v = json::parse(line);
    Hit h;
    h.provider = std::string(v.at("provider").as_string());
    h.accepted = v.at("accepted").as_bool();
    h.reason = std::string(v.at("reason").as_string());
    h.line = line;
    for (const auto& [k, f] : v.at("fields").as_object()) {
      h.fields[std::string(k)] = std::string(f.as_string());
    }
    out.push_back(std::move(h));
  }
  return out;
}

class GatewayWeek : public test::CountyDaemon {
 protected:
  void SetUp() override {
    fake_ = std::make_unique<testing::FakeProviderProcess>(FANGFAN_FAKE_PROVIDER_PATH,
                                                           dir_.path() / "fake", fake_log());
    ASSERT_NE(fake_->port(), 0);
    std::ofstream(dir_.path() / "aliyun-secret") << "fake-aliyun-secret\n";
    test::CountyDaemon::SetUp();
  }
  void TearDown() override {
    test::CountyDaemon::TearDown();
    if (fake_) fake_->stop();
  }

  fs::path fake_log() const { return dir_.path() / "fake-requests.jsonl"; }

  // People on gateways (the others stay on the file channel), and every gateway enabled at the
  // fake, with its credentials given the three ways a county can: inline, *_file and *_env.
  void adjust_config(std::string& text) override {
    text = test::without_feeds(text);  // feeds are tests/daemon/feeds_process_test.cpp's
    auto person_channels = [&](const std::string& name, const std::string& channels,
                               const std::string& extra = "") {
      const std::size_t at = text.find("name = \"" + name + "\"");
      ASSERT_NE(at, std::string::npos) << name;
      const std::string from = "channels = [\"file\"]";
      const std::size_t c = text.find(from, at);
      ASSERT_NE(c, std::string::npos) << name;
      text.replace(c, from.size(), extra + "channels = " + channels);
    };
    person_channels("周建国", "[\"wechat_robot\"]");  // county admin: the county group
    person_channels("王丽", "[\"wechat_app\", \"sms_aliyun\"]", "wechat = \"wangli\"\n");
    person_channels("陈静", "[\"sms_aliyun\"]");
    person_channels("郑海峰", "[\"webhook\"]");       // 东岭镇 head: the county's own platform
    person_channels("冯志强", "[\"wechat_robot\"]");  // 西河镇 head: the township group
    person_channels("杨帆", "[\"wechat_app\", \"sms_tencent\"]");
    person_channels("朱晓东", "[\"sms_tencent\"]");
    const std::string base = fake_->base_url();
    text += "\n[channels.wechat_robot]\nenabled = true\nbase_url = \"" + base +
            "\"\ngroups = [\n  { name = \"西河镇工作群\", scope = \"379901002\", key = "
            "\"robot-key-town-1\" },\n  { name = \"县防返贫工作群\", scope = \"379901\", key = "
            "\"robot-key-county\" },\n]\n";
    text += "\n[channels.wechat_app]\nenabled = true\nbase_url = \"" + base +
            "\"\ncorp_id = \"ww-fake-corp\"\ncorp_secret_env = \"FANGFAN_TEST_CORP_SECRET\"\n"
            "agent_id = 1000002\n";
    text += "\n[channels.sms_aliyun]\nenabled = true\nendpoint = \"" + base +
            "/aliyun/\"\naccess_key_id = \"fake-aliyun-id\"\naccess_key_secret_file = "
            "\"aliyun-secret\"\nsign_name = \"示例县防返贫\"\n" +
            sms_templates("SMS_90000000");
    text += "\n[channels.sms_tencent]\nenabled = true\nendpoint = \"" + base +
            "/tencent/\"\nsecret_id = \"AKIDfake\"\nsecret_key = \"fake-tencent-key\"\n"
            "sdk_app_id = \"1400000001\"\nsign_name = \"示例县防返贫\"\nregion = "
            "\"ap-guangzhou\"\n" +
            sms_templates("100000");
    text += "\n[channels.webhook]\nenabled = true\nurl = \"" + base + "/hook\"\n";
  }

  // Waits until the dispatcher has nothing due at simulated `now` (seconds since the epoch). A
  // digest's members wait in "sending" on their digest row; they are not in flight.
  void wait_idle(long long now) {
    const std::string busy =
        "SELECT COUNT(*) FROM outbox WHERE (status = 'sending' AND digest_of IS NULL) OR "
        "(status = 'pending' AND "
        "next_attempt_at <= " +
        std::to_string(now) + ")";
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (count(busy) > 0 && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(20ms);
    }
    ASSERT_EQ(count(busy), 0) << daemon_->log();
  }

  long long count(const std::string& sql) {
    soci::session s("sqlite3", "db=" + (dir_.path() / "state/fangfan.db").string() + " timeout=10");
    long long n = -1;
    s << sql, soci::into(n);
    return n;
  }

  struct Message {
    std::int64_t id = 0;
    std::string channel, recipient, type, status, provider_id;
    std::optional<std::int64_t> digest_of;
    long long created_at = 0, sent_at = 0;
  };
  std::vector<Message> outbox() {
    soci::session s("sqlite3", "db=" + (dir_.path() / "state/fangfan.db").string() + " timeout=10");
    std::vector<Message> out;
    soci::rowset<soci::row> rs =
        (s.prepare << "SELECT id, channel, recipient, message_type, status, provider_message_id,"
                      " digest_of, created_at, sent_at FROM outbox ORDER BY id");
    auto number = [](const soci::row& r, std::size_t i) -> long long {
      if (r.get_indicator(i) == soci::i_null) return 0;
      return r.get_properties(i).get_data_type() == soci::dt_integer ? r.get<int>(i)
                                                                     : r.get<long long>(i);
    };
    for (const soci::row& r : rs) {
      Message m;
      m.id = number(r, 0);
      m.channel = r.get<std::string>(1);
      m.recipient = r.get<std::string>(2);
      m.type = r.get<std::string>(3);
      m.status = r.get<std::string>(4);
      m.provider_id = r.get<std::string>(5);
      if (r.get_indicator(6) == soci::i_ok) m.digest_of = number(r, 6);
      m.created_at = number(r, 7);
      m.sent_at = number(r, 8);
      out.push_back(std::move(m));
    }
    return out;
  }

  std::unique_ptr<testing::FakeProviderProcess> fake_;
};

long long epoch(const char* china) {
  return std::chrono::duration_cast<std::chrono::seconds>(parse_time(china)->time_since_epoch())
      .count();
}

TEST_F(GatewayWeek, AWeekOfNoticesReachesEveryGatewayOnceSignedMaskedAndGrouped) {
  admin_ = token("county_admin", "379901", "周建国");
  office_ = token("county_office", "379901", "吴秀兰");
  const std::string dongling_clerk = token("township_clerk", "379901001", "王丽");
  const std::string xihe_clerk = token("township_clerk", "379901002", "陈静");

  start("2025-03-03T09:00", {{"FANGFAN_TEST_CORP_SECRET", "fake-corp-secret"}});
  // Three households of 东岭村 (officer 杨帆) and one of 西河村 (officer 朱晓东) in publicity.
  std::vector<std::int64_t> dongling;
  for (const char* suffix : {"01", "03", "04"}) {
    dongling.push_back(open_to_publicity("379901001001", dongling_clerk, suffix));
  }
  const std::int64_t xihe = open_to_publicity("379901002001", xihe_clerk);
  EXPECT_THAT(advance("9d"), HasSubstr("2025-03-12T09:00:00+08:00"));
  for (std::int64_t id : dongling) {
    EXPECT_EQ(step(id, dongling_clerk, {{"type", "close_publicity"}}), "registered");
    EXPECT_EQ(step(id, dongling_clerk, {{"type", "assign_officer"}, {"officer", "杨帆"}}),
              "registered");
    EXPECT_EQ(step(id, dongling_clerk, visit("2025-03-12", "杨帆")), "registered");
  }
  EXPECT_EQ(step(xihe, xihe_clerk, {{"type", "close_publicity"}}), "registered");
  EXPECT_EQ(step(xihe, xihe_clerk, {{"type", "assign_officer"}, {"officer", "朱晓东"}}),
            "registered");
  EXPECT_EQ(step(xihe, xihe_clerk, visit("2025-03-12", "朱晓东")), "registered");
  // Mon 03-24: a household verification starts in each township and is never recorded.
  EXPECT_THAT(advance("12d"), HasSubstr("2025-03-24T09:00:00+08:00"));
  ASSERT_NE(open_verifying("379901001001", dongling_clerk, "05"), 0);
  const std::int64_t xihe_verifying = open_verifying("379901002001", xihe_clerk, "02");
  ASSERT_NE(xihe_verifying, 0);

  // The week. WeChat Work is down from 08:00 to 09:00 on Tue 04-01.
  EXPECT_THAT(advance("7d22h59m"), HasSubstr("2025-04-01T07:59:00+08:00"));
  const long long before_week = epoch("2025-04-01T00:00");
  wait_idle(epoch("2025-04-01T07:59"));
  fake_->set_answer("wechat_app", "server_error");
  fake_->set_answer("wechat_robot", "server_error");
  EXPECT_THAT(advance("61m"), HasSubstr("2025-04-01T09:00:00+08:00"));
  wait_idle(epoch("2025-04-01T09:00"));
  fake_->set_answer("wechat_app", "success");
  fake_->set_answer("wechat_robot", "success");
  // Wed 04-02 22:00: the 西河镇 clerk finds that household above the line. The rejection's
  // written notice goes to her by SMS, inside quiet hours: it waits until 08:00.
  EXPECT_THAT(advance("1d13h"), HasSubstr("2025-04-02T22:00:00+08:00"));
  const IncomeWindow window = income_window(std::chrono::year(2025) / std::chrono::March);
  json::array accounts;
  for (auto m = window.first; m <= window.last; m += std::chrono::months(1)) {
    accounts.push_back({{"month", format_month(m)}, {"wage_income_fen", 1000000}});
  }
  EXPECT_EQ(step(xihe_verifying, xihe_clerk,
                 {{"type", "record_verification"},
                  {"accounts", accounts},
                  {"hardship", {{"basic_needs_affected", false}}}}),
            "rejected");
  EXPECT_THAT(advance("1d2h"), HasSubstr("2025-04-04T00:00:00+08:00"));
  EXPECT_THAT(advance("4d"), HasSubstr("2025-04-08T00:00:00+08:00"));
  wait_idle(epoch("2025-04-08T00:00"));
  const std::string daemon_log = daemon_->log();
  stop();
  fake_->stop();

  const std::vector<Message> all = outbox();
  const std::vector<Hit> hits = read_hits(fake_log());
  ASSERT_FALSE(all.empty());

  // Nothing lost: every message sent, itself or in its digest; none failed, dead or waiting.
  std::map<std::int64_t, const Message*> by_id;
  for (const auto& m : all) by_id[m.id] = &m;
  for (const auto& m : all) {
    EXPECT_EQ(m.status, "sent") << "outbox " << m.id << " " << m.type << " to " << m.recipient;
    if (m.digest_of) {
      EXPECT_EQ(by_id.at(*m.digest_of)->status, "sent") << m.id;
    }
  }

  // On time: outside the outage a message left at the simulated instant it was due, at most one
  // digest window (300 s) after it was queued, even though each advance was one long jump.
  for (const auto& m : all) {
    const bool in_outage =
        m.created_at >= epoch("2025-04-01T08:00") && m.created_at < epoch("2025-04-01T09:00");
    const bool held_for_the_night = m.type == "written_notice" && m.channel.starts_with("sms_");
    if (m.digest_of || in_outage || held_for_the_night) continue;
    EXPECT_LE(m.sent_at - m.created_at, 300) << "outbox " << m.id << " " << m.type;
    EXPECT_GE(m.sent_at, m.created_at) << "outbox " << m.id;
  }

  // Quiet hours: no SMS left between 21:00 and 08:00; the notice queued at 22:00 left at 08:00.
  int notices = 0;
  for (const auto& m : all) {
    if (!m.channel.starts_with("sms_")) continue;
    const int hour =
        std::stoi(format_time(TimePoint(std::chrono::seconds(m.sent_at))).substr(11, 2));
    EXPECT_TRUE(hour >= 8 && hour < 21) << "outbox " << m.id << " sent at hour " << hour;
    if (m.type == "written_notice") {
      ++notices;
      EXPECT_EQ(m.created_at, epoch("2025-04-02T22:00"));
      EXPECT_EQ(m.sent_at, epoch("2025-04-03T08:00"));
    }
  }
  EXPECT_EQ(notices, 1);

  // The week used every gateway.
  std::map<std::string, int> week_sent;  // channel -> rows that went out themselves
  for (const auto& m : all) {
    if (m.created_at >= before_week && !m.digest_of) ++week_sent[m.channel];
  }
  for (const char* channel :
       {"wechat_app", "wechat_robot", "sms_aliyun", "sms_tencent", "webhook"}) {
    EXPECT_GT(week_sent[channel], 0) << channel;
  }

  // Signed and checked: a request failed only where the test made the provider answer 502.
  int outage_failures = 0;
  for (const auto& h : hits) {
    if (h.provider == "control") continue;
    if (!h.accepted) {
      EXPECT_EQ(h.reason, "scripted 502") << h.line;
      EXPECT_TRUE(h.provider == "wechat_app" || h.provider == "wechat_robot") << h.line;
      ++outage_failures;
    }
  }
  EXPECT_GT(outage_failures, 0);  // the outage was felt ...
  for (const auto& m : all) {     // ... and what fell due in it went out after it
    if (m.channel.starts_with("wechat") && !m.digest_of &&
        m.created_at >= epoch("2025-04-01T08:00") && m.created_at < epoch("2025-04-01T09:00")) {
      EXPECT_GE(m.sent_at, epoch("2025-04-01T09:00")) << m.id;
    }
  }

  // Exactly once: accepted requests and sent rows match one to one, by the outbox id where the
  // provider takes one as its idempotency key, and by the provider's message id otherwise.
  std::map<std::string, std::multiset<std::string>> accepted_ids;  // channel -> keys
  std::map<std::string, int> accepted_count;
  for (const auto& h : hits) {
    if (!h.accepted || h.provider == "control" || h.provider == "wechat_app_token") continue;
    ++accepted_count[h.provider];
    if (h.provider == "sms_aliyun") accepted_ids[h.provider].insert(h.fields.at("out_id"));
    if (h.provider == "sms_tencent") {
      accepted_ids[h.provider].insert(h.fields.at("session_context"));
    }
    if (h.provider == "webhook") accepted_ids[h.provider].insert(h.fields.at("idempotency_key"));
    if (h.provider == "wechat_app") accepted_ids[h.provider].insert(h.fields.at("answer_id"));
  }
  std::map<std::string, std::multiset<std::string>> sent_ids;
  std::map<std::string, int> sent_count;
  for (const auto& m : all) {
    if (m.digest_of || m.channel == "file") continue;
    ++sent_count[m.channel];
    sent_ids[m.channel].insert(m.channel == "wechat_app" ? m.provider_id : std::to_string(m.id));
  }
  for (const char* channel : {"sms_aliyun", "sms_tencent", "webhook", "wechat_app"}) {
    EXPECT_EQ(accepted_ids[channel], sent_ids[channel]) << channel;
  }
  EXPECT_EQ(accepted_count, sent_count);  // the robot too, by count: it answers no id
  std::cout << "outbox rows " << all.size() << "; accepted requests by provider:";
  for (const auto& [provider, n] : accepted_count) std::cout << " " << provider << "=" << n;
  std::cout << "; in the week:";
  for (const auto& [channel, n] : week_sent) std::cout << " " << channel << "=" << n;
  std::cout << "; refused during the outage: " << outage_failures << "\n";

  // Masked: no household member's name, ID number or phone in any request, and no text a
  // person reads carries an unmasked ID or phone.
  ASSERT_EQ(households_.size(), 6u);
  for (const auto& h : hits) {
    for (const auto& household : households_) {
      EXPECT_EQ(h.line.find(household.phone), std::string::npos) << h.line;
      for (const auto& member : household.members) {
        EXPECT_EQ(h.line.find(member.id_number), std::string::npos) << h.line;
        EXPECT_EQ(h.line.find(member.name), std::string::npos) << member.name << " " << h.line;
      }
    }
    for (const char* field : {"content", "text", "template_param", "template_params"}) {
      auto it = h.fields.find(field);
      if (it != h.fields.end()) {
        EXPECT_FALSE(contains_unmasked_identifiers(it->second)) << h.line;
      }
    }
  }

  // The daemon's log holds no secret and no household's ID number or phone.
  for (const char* secret : {"fake-corp-secret", "fake-aliyun-secret", "fake-tencent-key",
                             "robot-key-town-1", "robot-key-county"}) {
    EXPECT_EQ(daemon_log.find(secret), std::string::npos) << secret;
  }
  for (const auto& household : households_) {
    EXPECT_EQ(daemon_log.find(household.phone), std::string::npos);
    for (const auto& member : household.members) {
      EXPECT_EQ(daemon_log.find(member.id_number), std::string::npos);
    }
  }

  // Grouped: 杨帆's visit and monitoring notices of 04-01 (three households each) went as one
  // digest on WeChat Work.
  std::set<std::int64_t> yang_digests;
  int yang_members = 0;
  for (const auto& m : all) {
    if (m.recipient == "yangfan" && m.created_at >= epoch("2025-04-01T08:00") &&
        m.created_at < epoch("2025-04-01T09:00") && m.type != "digest") {
      ++yang_members;
      EXPECT_TRUE(m.digest_of.has_value()) << m.id << " " << m.type;
      if (m.digest_of) yang_digests.insert(*m.digest_of);
    }
  }
  EXPECT_EQ(yang_members, 6);
  EXPECT_EQ(yang_digests.size(), 1u);
}

}  // namespace
}  // namespace fangfan
