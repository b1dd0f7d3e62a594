#include "adapters/storage/firing_cases.h"

#include <array>
#include <boost/describe/members.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value_stack.hpp>
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
  void read_sqlite(const storage_detail::SqliteColumns& c) {  // id_chunks.h
    id = c.integer(0);
    c.text(1, data);
  }
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

// For each member of CaseData (member_names()), its place in kFiringFields, or -1.
const std::array<int, std::tuple_size_v<MemberNames>>& firing_field_at() {
  static const auto table = [] {
    std::array<int, std::tuple_size_v<MemberNames>> out{};
    for (std::size_t at = 0; at < out.size(); ++at) {
      out[at] = -1;
      for (std::size_t f = 0; f < kFiringFields.size(); ++f) {
        if (member_names()[at] == kFiringFields[f]) out[at] = static_cast<int>(f);
      }
    }
    return out;
  }();
  return table;
}

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

// The five fields' values, each decoded as the whole decode does.
JsonResult<CaseData> decode_fields(
    const std::array<const json::value*, kFiringFields.size()>& found) {
  const JsonPath root("");
  CaseData out{};
  for (std::size_t f = 0; f < kFiringFields.size(); ++f) {
    if (auto e = decode_field(found[f], kFiringFields[f], out, root)) return "案件数据有误：" + *e;
  }
  return out;
}

// The text parsed whole into a tree, then the five fields decoded: the way every error is found
// and spelled as the whole decode spells it (the streaming read below falls back to it).
JsonResult<CaseData> firing_case_data_from_tree(std::string_view text) {
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
  return decode_fields(found);
}

// The streaming read (issue 15: the tree of the whole case was most of a firing's decode): the
// parser's events build a value for the five fields alone (json::value_stack, as json::parse
// builds its tree); every other member is checked as JSON and by name, and skipped. Anything out
// of the ordinary (not an object, an unknown member, a field given twice, bad JSON) stops it:
// the tree path then reads the text and says what is wrong, in the whole decode's words.
class FiringFields {
 public:
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  FiringFields(json::storage_ptr values, unsigned char* temp, std::size_t temp_size)
      : values_(std::move(values)), stack_({}, temp, temp_size) {}

  // After a clean parse: the fields found (null: absent), valid while the handler lives.
  std::array<const json::value*, kFiringFields.size()> found() const {
    std::array<const json::value*, kFiringFields.size()> out{};
    for (std::size_t f = 0; f < out.size(); ++f) out[f] = fields_[f] ? &*fields_[f] : nullptr;
    return out;
  }

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_object_begin(boost::system::error_code&) {
    ++depth_;
    return true;
  }
  bool on_object_end(std::size_t n, boost::system::error_code&) {
    if (--depth_ > 0 && capture_ >= 0) {
      stack_.push_object(n);
      if (depth_ == 1) finish();
    }
    return true;
  }
  bool on_array_begin(boost::system::error_code& ec) {
    if (depth_++ == 0) return stop(ec);  // not an object
    return true;
  }
  bool on_array_end(std::size_t n, boost::system::error_code&) {
    --depth_;
    if (capture_ >= 0) {
      stack_.push_array(n);
      if (depth_ == 1) finish();
    }
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, boost::system::error_code&) {
    if (depth_ == 1) {
      key_.append(s.data(), s.size());
    } else if (capture_ >= 0) {
      stack_.push_chars(s);
    }
    return true;
  }
  bool on_key(json::string_view s, std::size_t, boost::system::error_code& ec) {
    if (depth_ != 1) {
      if (capture_ >= 0) stack_.push_key(s);
      return true;
    }
    std::string_view key(s.data(), s.size());
    if (!key_.empty()) {
      key_.append(s.data(), s.size());
      key = key_;
    }
    const bool known = member(key, ec);
    key_.clear();
    return known;
  }
  bool on_string_part(json::string_view s, std::size_t, boost::system::error_code&) {
    if (capture_ >= 0) stack_.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, boost::system::error_code& ec) {
    if (depth_ == 0) return stop(ec);
    if (capture_ >= 0) {
      stack_.push_string(s);
      if (depth_ == 1) finish();
    }
    return true;
  }
  bool on_number_part(json::string_view, boost::system::error_code&) { return true; }
  bool on_int64(std::int64_t i, json::string_view, boost::system::error_code& ec) {
    return scalar(ec, [&] { stack_.push_int64(i); });
  }
  bool on_uint64(std::uint64_t u, json::string_view, boost::system::error_code& ec) {
    return scalar(ec, [&] { stack_.push_uint64(u); });
  }
  bool on_double(double d, json::string_view, boost::system::error_code& ec) {
    return scalar(ec, [&] { stack_.push_double(d); });
  }
  bool on_bool(bool b, boost::system::error_code& ec) {
    return scalar(ec, [&] { stack_.push_bool(b); });
  }
  bool on_null(boost::system::error_code& ec) {
    return scalar(ec, [&] { stack_.push_null(); });
  }
  bool on_comment_part(json::string_view, boost::system::error_code&) { return true; }
  bool on_comment(json::string_view, boost::system::error_code&) { return true; }

 private:
  static bool stop(boost::system::error_code& ec) {
    ec = json::error::syntax;  // the tree path says what it is
    return false;
  }
  template <class Push>
  bool scalar(boost::system::error_code& ec, Push push) {
    if (depth_ == 0) return stop(ec);
    if (capture_ >= 0) {
      push();
      if (depth_ == 1) finish();
    }
    return true;
  }
  // A member of the case: known (in the stored order first, as the tree path looks), and when
  // it is one of the five, its value is built from here on.
  bool member(std::string_view key, boost::system::error_code& ec) {
    const MemberNames& names = member_names();
    std::size_t at = next_;
    if (at >= names.size() || names[at] != key) {
      at = 0;
      while (at < names.size() && names[at] != key) ++at;
      if (at == names.size()) return stop(ec);
    }
    next_ = at + 1;
    if (const int f = firing_field_at()[at]; f >= 0) {
      if (fields_[f]) return stop(ec);  // given twice: the tree decides which one counts
      capture_ = f;
      stack_.reset(values_);
    }
    return true;
  }
  void finish() {
    fields_[capture_].emplace(stack_.release());  // moved whole: built on values_ already
    capture_ = -1;
  }

  json::storage_ptr values_;
  json::value_stack stack_;
  int depth_ = 0;     // containers open around the parser's position
  int capture_ = -1;  // the field whose value is being built, else -1
  std::size_t next_ = 0;
  std::string key_;  // a top-level key given in parts
  std::array<std::optional<json::value>, kFiringFields.size()> fields_;
};

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
  unsigned char first[4096];  // the five fields' nodes mostly fit
  json::monotonic_resource arena(first, sizeof first);
  unsigned char temp[2048];  // the value stack's own room
  json::parse_options options;
  options.allow_invalid_utf8 = true;
  json::basic_parser<FiringFields> parser(options, &arena, temp, sizeof temp);
  boost::system::error_code ec;
  const std::size_t read = parser.write_some(false, text.data(), text.size(), ec);
  if (ec || read != text.size()) return firing_case_data_from_tree(text);
  return decode_fields(parser.handler().found());
}

}  // namespace fangfan
