#include "daemon/api/event_json.h"

#include <algorithm>
#include <boost/describe/members.hpp>
#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>
#include <boost/mp11/utility.hpp>
#include <chrono>
#include <type_traits>

#include "adapters/storage/case_json.h"
#include "adapters/text/text_normal.h"

namespace fangfan {
namespace {

namespace json = boost::json;
namespace mp11 = boost::mp11;

template <class T>
using Members = boost::describe::describe_members<T, boost::describe::mod_public>;

// The type of the member `m` of T points to.
template <class T, class D>
using MemberType = std::remove_cvref_t<decltype(std::declval<T&>().*D::pointer)>;

template <class E>
constexpr bool optional_field(std::string_view name) {
  for (std::string_view n : OptionalFields<E>::kNames) {
    if (n == name) return true;
  }
  return false;
}

// A misspelt OptionalFields entry would make a field silently required: refuse to compile.
template <class E>
constexpr bool optional_fields_are_members() {
  for (std::string_view n : OptionalFields<E>::kNames) {
    bool found = false;
    mp11::mp_for_each<Members<E>>([&](auto m) { found = found || n == m.name; });
    if (!found) return false;
  }
  return true;
}

// The name a record or a code list goes by in the docs ("[account]", "code (risk_cause)").
template <class T>
constexpr std::string_view schema_name() {
  if constexpr (std::is_same_v<T, Household>)
    return "household";
  else if constexpr (std::is_same_v<T, Member>)
    return "member";
  else if constexpr (std::is_same_v<T, MonthlyAccount>)
    return "account";
  else if constexpr (std::is_same_v<T, HardshipFindings>)
    return "hardship";
  else if constexpr (std::is_same_v<T, ExclusionFinding>)
    return "exclusion";
  else if constexpr (std::is_same_v<T, Discretion>)
    return "discretion";
  else if constexpr (std::is_same_v<T, MonitoringRecord>)
    return "monitoring_record";
  else if constexpr (std::is_same_v<T, Stamp>)
    return "stamp";
  else if constexpr (std::is_same_v<T, Relation>)
    return "relation";
  else if constexpr (std::is_same_v<T, DiscoverySource>)
    return "source";
  else if constexpr (std::is_same_v<T, RiskCause>)
    return "risk_cause";
  else if constexpr (std::is_same_v<T, MeasureType>)
    return "measure_type";
  else if constexpr (std::is_same_v<T, MeasureStatus>)
    return "measure_status";
  else if constexpr (std::is_same_v<T, RiskTrend>)
    return "risk_trend";
  else if constexpr (std::is_same_v<T, LookBackFinding>)
    return "look_back_finding";
  else if constexpr (std::is_same_v<T, ApprovalPurpose>)
    return "approval_purpose";
  else if constexpr (std::is_same_v<T, ApprovalLevel>)
    return "approval_level";
  else if constexpr (std::is_same_v<T, IncomeDropCause>)
    return "income_drop_cause";
  else if constexpr (std::is_same_v<T, EvaluationResult>)
    return "evaluation_result";
  else if constexpr (std::is_same_v<T, HouseholdStatus>)
    return "household_status";
  else if constexpr (std::is_same_v<T, BasicNeeds>)
    return "basic_needs";
  else
    static_assert(!sizeof(T), "event_json: give this record or code list a schema name");
}

// Walks member types, naming each and collecting the records and code lists met on the way.
class SchemaBuilder {
 public:
  template <class T>
  std::string type_of() {
    if constexpr (std::is_same_v<T, std::string>) {
      return "string";
    } else if constexpr (std::is_same_v<T, bool>) {
      return "boolean";
    } else if constexpr (case_json::Coded<T>) {
      add_codes<T>();
      return "code (" + std::string(schema_name<T>()) + ")";
    } else if constexpr (std::is_integral_v<T>) {
      return "integer";
    } else if constexpr (std::is_same_v<T, Date>) {
      return "date";
    } else if constexpr (std::is_same_v<T, std::chrono::year_month>) {
      return "month";
    } else if constexpr (std::is_same_v<T, TimePoint>) {
      return "time";
    } else if constexpr (case_json::IsOptional<T>::value) {
      return type_of<typename T::value_type>() + " or null";
    } else if constexpr (case_json::IsVector<T>::value) {
      return "[" + type_of<typename T::value_type>() + "]";
    } else if constexpr (case_json::Described<T>) {
      add_record<T>();
      return std::string(schema_name<T>());
    } else {
      static_assert(!sizeof(T), "event_json: no JSON form for this type");
    }
  }

  std::vector<RecordSchema> records;
  std::vector<CodeListSchema> codes;

 private:
  template <class T>
  void add_record() {
    const std::string name(schema_name<T>());
    for (const auto& r : records) {
      if (r.name == name) return;
    }
    const std::size_t at = records.size();  // taken now: order of first use, nested ones after
    records.push_back({name, {}});
    std::vector<FieldSchema> fields;
    mp11::mp_for_each<Members<T>>([&](auto m) {
      fields.push_back({m.name, type_of<MemberType<T, decltype(m)>>(), false});
    });
    records[at].fields = std::move(fields);
  }

  template <class E>
  void add_codes() {
    const std::string name(schema_name<E>());
    for (const auto& c : codes) {
      if (c.name == name) return;
    }
    CodeListSchema list{name, {}};
    for (const auto& e : CodeTable<E>::kEntries) list.entries.emplace_back(e.code, e.label);
    codes.push_back(std::move(list));
  }
};

// Reads `key` of `body` into `out` with the case_json codec; a 400 naming the field when it is
// malformed, or missing and `required`.
template <class T>
void read(const JsonFields& body, std::string_view key, T& out, bool required) {
  const json::value* v = body.raw().if_contains(key);
  const std::string path = body.path(key);
  if (v == nullptr || v->is_null()) {
    if (required) {
      throw ApiError::bad_request(path,
                                  "缺少字段 " + path + " (the field " + path + " is missing)");
    }
    return;
  }
  if (auto error = case_json::decode(*v, out, path)) throw ApiError::bad_request(path, *error);
}

template <class E>
CaseEvent decode(const JsonFields& body, EventMeta meta) {
  static_assert(optional_fields_are_members<E>(), "OptionalFields names a member not described");
  E e;
  read(body, "reason", meta.reason, false);
  e.meta = std::move(meta);
  mp11::mp_for_each<Members<E>>(
      [&](auto m) { read(body, m.name, e.*m.pointer, !optional_field<E>(m.name)); });
  return e;
}

using Decoder = CaseEvent (*)(const JsonFields&, EventMeta);

struct Tables {
  std::vector<EventSchema> events;
  std::vector<Decoder> decoders;  // by the index of events
  std::vector<RecordSchema> records;
  std::vector<CodeListSchema> codes;
};

const Tables& tables() {
  static const Tables kTables = [] {
    Tables t;
    SchemaBuilder b;
    using Events = mp11::mp_transform<mp11::mp_identity, mp11::mp_rename<CaseEvent, mp11::mp_list>>;
    mp11::mp_for_each<Events>([&](auto identity) {
      using E = typename decltype(identity)::type;
      EventSchema s{E::kName, E::kLabel, {}};
      mp11::mp_for_each<Members<E>>([&](auto m) {
        s.fields.push_back(
            {m.name, b.type_of<MemberType<E, decltype(m)>>(), !optional_field<E>(m.name)});
      });
      t.events.push_back(std::move(s));
      t.decoders.push_back(&decode<E>);
    });
    t.records = std::move(b.records);
    t.codes = std::move(b.codes);
    return t;
  }();
  return kTables;
}

}  // namespace

const std::vector<EventSchema>& event_schemas() { return tables().events; }
const std::vector<RecordSchema>& record_schemas() { return tables().records; }
const std::vector<CodeListSchema>& code_list_schemas() { return tables().codes; }

const EventSchema* find_event_schema(std::string_view name) {
  for (const auto& e : event_schemas()) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

void reject_unknown_fields(const JsonFields& body, const EventSchema& event,
                           std::initializer_list<std::string_view> envelope) {
  for (const auto& kv : body.raw()) {
    const std::string_view key = kv.key();
    const bool known = std::find(envelope.begin(), envelope.end(), key) != envelope.end() ||
                       std::any_of(event.fields.begin(), event.fields.end(),
                                   [&](const FieldSchema& f) { return f.name == key; });
    if (!known) {
      const std::string path = body.path(key);
      throw ApiError::bad_request(path, "未知字段 " + path + " (unknown field " + path + ")");
    }
  }
}

CaseEvent decode_event(const JsonFields& body, const EventSchema& event, EventMeta meta) {
  const Tables& t = tables();
  const auto index = static_cast<std::size_t>(&event - t.events.data());
  CaseEvent decoded = t.decoders.at(index)(body, std::move(meta));
  // The one form every way in gives text (adapters/text/): the core's checks then judge it.
  normalize_event_text(decoded);
  return decoded;
}

}  // namespace fangfan
