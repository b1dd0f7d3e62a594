#include "adapters/storage/firing_cases.h"

#include <array>
#include <boost/describe/members.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/mp11/algorithm.hpp>
#include <optional>

#include "adapters/storage/database.h"
#include "adapters/storage/id_chunks.h"

namespace fangfan {
namespace {

namespace json = boost::json;
using case_json::JsonPath;
using storage_detail::Prepared;

struct CaseDataRow {
  long long id = 0;
  std::string data;
  void bind(Prepared& p) { p, soci::into(id), soci::into(data); }
};

struct CasesDataByIds {
  CaseDataRow row;
  storage_detail::IdChunk chunk;
  static std::string sql() {
    return "SELECT id, data FROM cases WHERE id IN (" + storage_detail::id_params() +
           ") ORDER BY id";
  }
  void bind(Prepared& p) {
    row.bind(p);
    chunk.bind(p);
  }
};

using CaseMembers = boost::describe::describe_members<CaseData, boost::describe::mod_public>;
using MemberNames = std::array<std::string_view, boost::mp11::mp_size<CaseMembers>::value>;

// Every member name of CaseData, in declared order (the order the stored text names them in).
const MemberNames& member_names() {
  static const MemberNames names = [] {
    MemberNames out{};
    std::size_t i = 0;
    boost::mp11::mp_for_each<CaseMembers>([&](auto m) { out[i++] = m.name; });
    return out;
  }();
  return names;
}

// The fields a firing reads (see the header), in declared order.
constexpr std::array<std::string_view, 5> kFiringFields = {"household", "officer", "measures",
                                                           "visits", "monitoring"};

std::optional<std::string> decode_field(const json::value* in, std::string_view name, CaseData& out,
                                        const JsonPath& root) {
  if (in == nullptr) return std::nullopt;  // absent: its default, as case_json.h reads it
  const JsonPath path(root, name);
  if (name == "household") return case_json::decode(*in, out.household, path);
  if (name == "officer") return case_json::decode(*in, out.officer, path);
  if (name == "measures") return case_json::decode(*in, out.measures, path);
  if (name == "visits") return case_json::decode(*in, out.visits, path);
  return case_json::decode(*in, out.monitoring, path);
}

}  // namespace

void read_cases_data(soci::session& session, const std::vector<std::int64_t>& ids,
                     const std::function<void(std::int64_t id, const std::string& data)>& take) {
  if (ids.empty()) return;
  guarded("读取案件失败 (loading cases failed)", [&] {
    storage_detail::for_each_row<CasesDataByIds>(
        session, storage_detail::sorted_unique(ids),
        [&](const CaseDataRow& row) { take(row.id, row.data); });
  });
}

JsonResult<CaseData> firing_case_data_from_json(std::string_view text) {
  unsigned char first[8192];  // as case_json.cpp: a case's nodes mostly fit
  json::monotonic_resource arena(first, sizeof first);
  json::parse_options options;
  options.allow_invalid_utf8 = true;
  boost::system::error_code ec;
  const json::value parsed =
      json::parse(json::string_view(text.data(), text.size()), ec, &arena, options);
  if (ec) return "案件数据不是有效的 JSON：" + ec.message() + " (案件数据 is not valid JSON)";
  const JsonPath root("");
  const json::object* object = parsed.if_object();
  if (object == nullptr)
    return "案件数据有误：" + case_json::mismatch(root, "对象 (an object)", parsed);
  const MemberNames& names = member_names();
  std::array<const json::value*, kFiringFields.size()> found{};
  std::size_t next = 0;  // the member the stored text names next, when written by this fangfan
  for (const auto& kv : *object) {
    const std::string_view key(kv.key().data(), kv.key().size());
    std::size_t at = next;
    if (at >= names.size() || names[at] != key) {
      at = 0;
      while (at < names.size() && names[at] != key) ++at;
      if (at == names.size()) return "案件数据有误：" + case_json::unknown_member(root, key);
    }
    next = at + 1;
    for (std::size_t f = 0; f < kFiringFields.size(); ++f) {
      if (key == kFiringFields[f] && found[f] == nullptr) found[f] = &kv.value();
    }
  }
  CaseData out{};
  for (std::size_t f = 0; f < kFiringFields.size(); ++f) {
    if (auto e = decode_field(found[f], kFiringFields[f], out, root)) return "案件数据有误：" + *e;
  }
  return out;
}

}  // namespace fangfan
