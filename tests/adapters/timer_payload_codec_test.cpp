// Timer payloads as text (adapters/scheduler/timer_payload_codec.h): the JSON stored by earlier
// versions still decodes, every payload survives a round trip, unreadable text says why.
#include "adapters/scheduler/timer_payload_codec.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "adapters/scheduler/duty_writer.h"

namespace fangfan {
namespace {

struct StoredCase {
  const char* name;
  const char* text;
  std::optional<TimerPayload> expected;  // none: unreadable
};

TEST(TimerPayloadCodec, StoredPayloadsDecode) {
  const std::vector<StoredCase> cases{
      {"overdue rung as stored before typed payloads",
       R"({"notice":"overdue","due_date":"2025-03-10","roles":["township_clerk","county_office"],"duty_id":7})",
       DutyNotice{7, DutyNoticeKind::kOverdue, "2025-03-10", {"township_clerk", "county_office"}}},
      {"month due timer without roles",
       R"({"notice":"overdue","due_date":"2025-03-31","roles":[],"duty_id":12})",
       DutyNotice{12, DutyNoticeKind::kOverdue, "2025-03-31", {}}},
      {"reminder", R"({"notice":"reminder","due_date":"2025-03-10","roles":["x"],"duty_id":3})",
       DutyNotice{3, DutyNoticeKind::kReminder, "2025-03-10", {"x"}}},
      {"task", R"({"notice":"task","due_date":"2025-12-05","roles":["county_office"],"duty_id":4})",
       DutyNotice{4, DutyNoticeKind::kTask, "2025-12-05", {"county_office"}}},
      {"no duty id: decodes, its firing finds no duty",
       R"({"notice":"overdue","due_date":"2025-03-10","roles":[]})",
       DutyNotice{0, DutyNoticeKind::kOverdue, "2025-03-10", {}}},
      {"evaluation opening", R"({"notice":"open_evaluation","year":2025})", OpenEvaluation{2025}},
      {"not JSON", "{", std::nullopt},
      {"not an object", "[]", std::nullopt},
      {"unknown notice", R"({"notice":"later","duty_id":1})", std::nullopt},
      {"evaluation without a year", R"({"notice":"open_evaluation"})", std::nullopt},
      {"feed period due", R"({"notice":"feed_due","feed":"civil_affairs","period":"2025-05"})",
       FeedDue{"civil_affairs", "2025-05"}},
      {"feed due without a period", R"({"notice":"feed_due","feed":"civil_affairs"})",
       std::nullopt},
      {"feed due without a feed", R"({"notice":"feed_due","period":"2025-05"})", std::nullopt},
      {"list period due", R"({"notice":"list_due","list":"civil_affairs","period":"2026-12-01"})",
       ListDue{"civil_affairs", "2026-12-01"}},
      {"list due without a period", R"({"notice":"list_due","list":"civil_affairs"})",
       std::nullopt},
      {"list due without a list", R"({"notice":"list_due","period":"2026-12-01"})", std::nullopt},
      {"monthly report due",
       R"({"notice":"report_due","schedule":"county_monthly_report","period":"2026-11"})",
       ReportDue{"county_monthly_report", "2026-11"}},
      {"report due without a period", R"({"notice":"report_due","schedule":"m"})", std::nullopt},
      {"report due without a schedule", R"({"notice":"report_due","period":"2026-11"})",
       std::nullopt},
  };
  for (const StoredCase& c : cases) {
    auto decoded = decode_timer_payload(c.text);
    if (!c.expected) {
      ASSERT_TRUE(std::holds_alternative<std::string>(decoded)) << c.name;
      EXPECT_FALSE(std::get<std::string>(decoded).empty()) << c.name;
      continue;
    }
    ASSERT_TRUE(std::holds_alternative<TimerPayload>(decoded))
        << c.name << ": " << std::get<std::string>(decoded);
    EXPECT_EQ(std::get<TimerPayload>(decoded), *c.expected) << c.name;
    // And back: what is written now reads as the same payload.
    auto again = decode_timer_payload(encode_timer_payload(*c.expected));
    ASSERT_TRUE(std::holds_alternative<TimerPayload>(again)) << c.name;
    EXPECT_EQ(std::get<TimerPayload>(again), *c.expected) << c.name;
  }
}

TEST(TimerPayloadCodec, WritesTheStoredShape) {
  EXPECT_EQ(
      encode_timer_payload(
          DutyNotice{7, DutyNoticeKind::kOverdue, "2025-03-10", {"township_clerk"}}),
      R"({"notice":"overdue","due_date":"2025-03-10","roles":["township_clerk"],"duty_id":7})");
  EXPECT_EQ(encode_timer_payload(OpenEvaluation{2026}),
            R"({"notice":"open_evaluation","year":2026})");
  EXPECT_EQ(encode_timer_payload(FeedDue{"medical_insurance", "2025-06"}),
            R"({"notice":"feed_due","feed":"medical_insurance","period":"2025-06"})");
  EXPECT_EQ(encode_timer_payload(ListDue{"education", "2026-12-15"}),
            R"({"notice":"list_due","list":"education","period":"2026-12-15"})");
  EXPECT_EQ(encode_timer_payload(ReportDue{"county_monthly_report", "2026-11"}),
            R"({"notice":"report_due","schedule":"county_monthly_report","period":"2026-11"})");
}

// The encoder writes the text itself: byte for byte what boost::json::serialize wrote before it
// (stored timers and their readers see no difference), escapes and non-ASCII text included.
TEST(TimerPayloadCodec, WritesWhatBoostJsonSerializeWrote) {
  namespace json = boost::json;
  const std::vector<std::string> texts{"",
                                       "township_clerk",
                                       "2025-03-31",
                                       "乡镇办事员",
                                       "quote \" backslash \\ slash /",
                                       std::string("nul \0 bell \a del \x7f", 18),
                                       "\b\t\n\f\r\x01\x1f end",
                                       "\xe4\xb9\x1f"};
  const auto notice_text = [](DutyNoticeKind k) {
    return k == DutyNoticeKind::kTask       ? "task"
           : k == DutyNoticeKind::kReminder ? "reminder"
                                            : "overdue";
  };
  for (const std::string& a : texts) {
    for (const std::string& b : texts) {
      for (const DutyNoticeKind kind :
           {DutyNoticeKind::kTask, DutyNoticeKind::kReminder, DutyNoticeKind::kOverdue}) {
        for (const int level : {0, 3}) {
          const DutyNotice n{-42 + level * 1000000000000LL, kind, a, {b, a}, level};
          json::array roles;
          for (const std::string& r : n.roles) roles.emplace_back(r);
          json::object o{{"notice", notice_text(kind)},
                         {"due_date", n.due_date},
                         {"roles", std::move(roles)},
                         {"duty_id", n.duty_id}};
          if (n.level > 0) o["level"] = n.level;
          EXPECT_EQ(encode_timer_payload(n), json::serialize(o)) << a << " / " << b;
          // Appended, with the stored duty's id in place of the planned notice's 0.
          std::string appended = "x";
          DutyNotice planned = n;
          planned.duty_id = 0;
          append_timer_payload(appended, planned, n.duty_id);
          EXPECT_EQ(appended, "x" + json::serialize(o));
        }
      }
      EXPECT_EQ(encode_timer_payload(FeedDue{a, b}),
                json::serialize(json::object{{"notice", "feed_due"}, {"feed", a}, {"period", b}}));
      EXPECT_EQ(encode_timer_payload(ListDue{a, b}),
                json::serialize(json::object{{"notice", "list_due"}, {"list", a}, {"period", b}}));
      EXPECT_EQ(
          encode_timer_payload(ReportDue{a, b}),
          json::serialize(json::object{{"notice", "report_due"}, {"schedule", a}, {"period", b}}));
    }
  }
  EXPECT_EQ(encode_timer_payload(DutyNotice{7, DutyNoticeKind::kReminder, "2025-01-31", {}}),
            R"({"notice":"reminder","due_date":"2025-01-31","roles":[],"duty_id":7})");
  for (const int year : {0, -1, 2025, 2147483647}) {
    EXPECT_EQ(encode_timer_payload(OpenEvaluation{year}),
              json::serialize(json::object{{"notice", "open_evaluation"}, {"year", year}}));
  }
}

// A queued message's body (duty_writer.h message_body): the bytes the object built param by param
// and serialized by boost::json had, escapes, non-ASCII text and a repeated key included.
TEST(MessageBody, IsWhatSerializingTheObjectBuiltParamByParamWrote) {
  using Params = std::vector<std::pair<std::string, std::string>>;
  const std::vector<Params> rows = {
      {},
      {{"case_id", "42"}, {"household", "张**"}, {"village", "一村"}, {"due_date", "2025-03-10"}},
      {{"text", "第\"一\"行\\\n第二行\t\x01"}, {"k\"ey", "v"}},
      {{"a", "1"}, {"b", "2"}, {"a", "3"}, {"c", ""}, {"b", "4"}},
      {{"", ""}},
  };
  for (const Params& params : rows) {
    boost::json::object o;
    for (const auto& [k, v] : params) o[k] = v;
    EXPECT_EQ(scheduler_detail::message_body(params), boost::json::serialize(o));
  }
}

}  // namespace
}  // namespace fangfan
