#include "adapters/storage/evaluation_store.h"

#include <variant>

#include "adapters/storage/case_json.h"
#include "adapters/storage/database.h"

namespace fangfan {
namespace {

std::string detail(const Details& details, std::string_view key) {
  for (const auto& [k, v] : details) {
    if (k == key) return v;
  }
  return {};
}

}  // namespace

const char* const kEvaluationResultsSql =
    "SELECT h.township_code, ch.details FROM case_history ch"
    " JOIN cases c ON c.id = ch.case_id"
    " JOIN households h ON h.code = c.household_code"
    " WHERE ch.event = 'record_evaluation'";

std::map<std::string, EvaluationResultCount> count_evaluation_results(soci::session& session,
                                                                      int year) {
  return guarded("读取风险评估结果失败 (reading the evaluation results failed)", [&] {
    std::map<std::string, EvaluationResultCount> out;
    std::string township, details;
    soci::statement st =
        (session.prepare << kEvaluationResultsSql, soci::into(township), soci::into(details));
    st.execute();
    const std::string wanted = std::to_string(year);
    while (st.fetch()) {
      JsonResult<Details> parsed = details_from_json(details);
      const Details* d = std::get_if<Details>(&parsed);
      if (d == nullptr || detail(*d, "year") != wanted) continue;
      const std::string result = detail(*d, "result");
      EvaluationResultCount& c = out[township];
      if (result == "risk_removed") ++c.risk_removed;
      if (result == "risk_persisting") ++c.risk_persisting;
      if (result == "new_risk") ++c.new_risk;
    }
    return out;
  });
}

bool has_evaluation_result(soci::session& session, std::int64_t case_id, int year) {
  return guarded("读取风险评估结果失败 (reading the evaluation results failed)", [&] {
    const long long id = case_id;
    std::string details;
    soci::statement st =
        (session.prepare << "SELECT details FROM case_history"
                            " WHERE case_id = :case_id AND event = 'record_evaluation'",
         soci::use(id), soci::into(details));
    st.execute();
    const std::string wanted = std::to_string(year);
    while (st.fetch()) {
      JsonResult<Details> parsed = details_from_json(details);
      const Details* d = std::get_if<Details>(&parsed);
      if (d != nullptr && detail(*d, "year") == wanted) return true;
    }
    return false;
  });
}

}  // namespace fangfan
