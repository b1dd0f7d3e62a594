// Message templates: every type renders readable Chinese from its params, overrides are
// checked like config, and no rendered message carries an unmasked ID number or phone.
#include <gtest/gtest.h>

#include "tests/support/people.h"
#include "workflows/id_number.h"
#include "workflows/message_templates.h"

namespace fangfan {
namespace {

using Params = std::map<std::string, std::string>;

// Params for every placeholder of `info`, each a recognisable value.
Params full_params(const MessageTypeInfo& info) {
  Params p;
  for (auto name : info.params) p[std::string(name)] = "<" + std::string(name) + ">";
  return p;
}

TEST(MessageTemplates, EveryContractTypeHasADefaultUsingOnlyItsParams) {
  std::vector<std::string> contract = {
      "step_reminder",       "step_overdue",        "visit_reminder",
      "visit_overdue",       "monitoring_reminder", "monitoring_overdue",
      "evaluation_task",     "evaluation_overdue",  "campaign_reminder",
      "campaign_overdue",    "feed_missing",        "alert_new",
      "alert_reminder",      "alert_overdue",       "written_notice",
      "department_evidence", "department_list",     "list_password",
      "calendar_missing",    "dead_letter",         "digest",
      "feedback_reminder",   "feedback_overdue",    "monthly_report"};
  // Issue 14 items 2 and 6: the officer and plan owed at registration, the alert loop.
  for (const char* type : {"assignment_task", "assignment_reminder", "assignment_overdue",
                           "alert_case_new", "major_event", "alert_step_task",
                           "alert_step_reminder", "alert_step_overdue", "support_only_household"}) {
    contract.push_back(type);
  }
  EXPECT_EQ(message_types().size(), contract.size());
  for (const auto& type : contract) {
    const MessageTypeInfo* info = find_message_type(type);
    ASSERT_NE(info, nullptr) << type;
    EXPECT_EQ(template_problem(type, info->default_template), std::nullopt) << type;
    const std::string text = render_message(type, full_params(*info), {});
    EXPECT_EQ(text.find('{'), std::string::npos) << type << ": " << text;
    EXPECT_EQ(text.rfind("【防返贫监测】", 0), 0u) << type;
  }
}

TEST(MessageTemplates, StepOverdueReadsAsASentence) {
  const Params p = {{"case_id", "42"},
                    {"household", "王*"},
                    {"village", "东村"},
                    {"township", "379901001"},
                    {"step", "household_verification"},
                    {"step_label", "入户核实"},
                    {"due_date", "2025-03-10"},
                    {"days_overdue", "3"},
                    {"rung", "1"}};
  EXPECT_EQ(render_message("step_overdue", p, {}),
            "【防返贫监测】东村王*户（案件42）的“入户核实”已于2025-03-10到期，"
            "现已逾期3天（第1级督办），请尽快办理。");
}

TEST(MessageTemplates, OverrideWinsAndBracesCanBeWritten) {
  MessageTemplates t;
  t.overrides["visit_reminder"] = "{{走访}} {household} {recorded}/{required}";
  EXPECT_EQ(render_message("visit_reminder",
                           {{"household", "李*"}, {"recorded", "1"}, {"required", "2"}}, t),
            "{走访} 李* 1/2");
  // Other types keep their default.
  EXPECT_NE(render_message("visit_overdue", {{"household", "李*"}}, t).find("李*"),
            std::string::npos);
}

TEST(MessageTemplates, MissingParamStaysVisible) {
  EXPECT_NE(render_message("calendar_missing", {{"text", "请导入"}}, {}).find("{year}"),
            std::string::npos);
}

TEST(MessageTemplates, UnknownTypeRendersItsParamsRatherThanNothing) {
  EXPECT_EQ(render_message("harvest_report", {{"a", "1"}, {"b", "2"}}, {}),
            "【防返贫监测】harvest_report：a=1，b=2");
}

struct Problem {
  const char* type;
  const char* text;
  const char* expected;  // nullptr: fine
};

// gtest names a failing case by this instead of its bytes.
void PrintTo(const Problem& c, std::ostream* os) { *os << c.type << ": " << c.text; }

class TemplateProblems : public ::testing::TestWithParam<Problem> {};

TEST_P(TemplateProblems, Checked) {
  const Problem& p = GetParam();
  auto problem = template_problem(p.type, p.text);
  if (!p.expected) {
    EXPECT_EQ(problem, std::nullopt);
  } else {
    ASSERT_TRUE(problem.has_value());
    EXPECT_NE(problem->find(p.expected), std::string::npos) << *problem;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, TemplateProblems,
    ::testing::Values(Problem{"visit_reminder", "{household} {officer}", nullptr},
                      Problem{"digest", "共{count}条：{items}", nullptr},
                      Problem{"visit_reminder", "{household} {step_label}",
                              "{step_label} is not a param of visit_reminder"},
                      Problem{"weather", "x", "'weather' is not a message type"},
                      Problem{"step_reminder", "{household", "never closed"},
                      Problem{"step_reminder", "household}", "without '{'"},
                      Problem{"step_reminder", "", "must not be empty"}));

TEST(MessageTemplates, DigestListsItemsNumberedWithoutRepeatingTheHeading) {
  const auto p = digest_params({"【防返贫监测】甲户走访逾期", "【防返贫监测】乙户走访逾期"});
  EXPECT_EQ(p.at("count"), "2");
  EXPECT_EQ(render_message("digest", p, {}),
            "【防返贫监测】您有2条提醒：\n1. 甲户走访逾期\n2. 乙户走访逾期");
}

TEST(MessageTemplates, DigestibleTypes) {
  EXPECT_TRUE(is_digestible("visit_overdue"));
  EXPECT_TRUE(is_digestible("step_reminder"));
  EXPECT_TRUE(is_digestible("evaluation_task"));
  EXPECT_FALSE(is_digestible("written_notice"));
  EXPECT_FALSE(is_digestible("dead_letter"));
  EXPECT_FALSE(is_digestible("digest"));
}

TEST(MessageTemplates, UnmaskedIdentifierGuard) {
  testing::PeopleGenerator gen(20251123);
  for (int i = 0; i < 50; ++i) {
    const auto person = gen.person();
    const std::string id = person.id_number, phone = person.phone;
    // Unmasked, anywhere in Chinese text: caught.
    EXPECT_TRUE(contains_unmasked_identifiers("身份证" + id + "号")) << id;
    EXPECT_TRUE(contains_unmasked_identifiers("电话：" + phone)) << phone;
    // Masked: passes.
    EXPECT_FALSE(contains_unmasked_identifiers("身份证" + mask_id_number(id) + "，电话" +
                                               mask_phone(phone) + "，" + mask_name(person.name)));
  }
  EXPECT_TRUE(contains_unmasked_identifiers("11010519491231002x"));
  // Place codes, dates and counts are not identifiers.
  EXPECT_FALSE(contains_unmasked_identifiers("村 379901001001，2025-03-10，案件 1234567890"));
  EXPECT_FALSE(contains_unmasked_identifiers("编号 12345678901"));  // 11 digits, not 13..19
}

TEST(MessageTemplates, RenderedDefaultsWithGeneratedPeopleAreMasked) {
  testing::PeopleGenerator gen(7);
  for (const auto& info : message_types()) {
    Params p = full_params(info);
    const auto person = gen.person();
    if (p.count("household")) p["household"] = mask_name(person.name);
    if (p.count("officer")) p["officer"] = mask_name(gen.person().name);
    if (p.count("recipient_masked")) p["recipient_masked"] = mask_phone(person.phone);
    if (p.count("text")) p["text"] = "请联系 " + mask_phone(person.phone);
    EXPECT_FALSE(contains_unmasked_identifiers(render_message(info.type, p, {}))) << info.type;
  }
}

TEST(MessageTemplates, RecipientsAreMaskedForDisplay) {
  EXPECT_EQ(mask_recipient("13812345678"), "138****5678");
  EXPECT_EQ(mask_recipient("张三丰@379901001"), "张**@379901001");
  EXPECT_EQ(mask_recipient("zhangsanfeng"), "zhangsanfeng");
  EXPECT_FALSE(contains_unmasked_identifiers(mask_recipient("wx13812345678")));
}

}  // namespace
}  // namespace fangfan
