// Case data as JSON text: the form storage keeps a case's data (cases.data) and a history row's
// details (case_history.details) in.
//
// Format. Every struct of workflows/case_records.h (described with Boost.Describe) becomes a
// JSON object with one member per field, named as the field. Enums are their stable codes from
// workflows/case_codes.h ("head", "self_application"), never the C++ enumerator names, so
// renaming an enumerator cannot break stored data. TimePoint is ISO text in China time
// ("2025-03-03T09:00:00+08:00"), Date "2025-03-03", std::chrono::year_month "2025-03"; an empty
// std::optional is null; money is integer fen. History details (a flat key -> value list) are
// one JSON object of strings; a repeated key (the core emits none) is kept as "key#2", "key#3".
//
// Round trips are exact: from_json(to_json(x)) == x for every value the core can hold (time to
// the second, which is all TimePoint holds).
//
// Reading is strict about names and lenient about absence: a member the struct does not have is
// an error (data written by a newer fangfan is refused rather than silently dropped), a member
// missing from the text keeps its default (data written before a field was added still loads).
// Errors are values: a sentence naming the field path, e.g.
//   "案件数据有误：字段 verification.accounts[3].month 应为 YYYY-MM 格式的月份，实际为 "2024-13"
//    (case data is invalid: ...)".
//
// The templates below are for other adapters that convert single records (an API body holding
// a Measure, say); storage uses the named functions.
//
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <boost/describe/class.hpp>
#include <boost/describe/members.hpp>
#include <boost/json/value.hpp>
#include <boost/mp11/algorithm.hpp>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "workflows/case_records.h"

namespace fangfan {

// A parsed value, or the sentence saying why the text could not be read.
template <class T>
using JsonResult = std::variant<T, std::string>;

std::string case_data_to_json(const CaseData& data);
JsonResult<CaseData> case_data_from_json(std::string_view text);

std::string case_snapshot_to_json(const CaseSnapshot& snapshot);
JsonResult<CaseSnapshot> case_snapshot_from_json(std::string_view text);

std::string details_to_json(const Details& details);
JsonResult<Details> details_from_json(std::string_view text);

// -- the codec, for single records ------------------------------------------------------------

namespace case_json {

// Scalars the generic code cannot infer.
boost::json::value encode_time(TimePoint t);
boost::json::value encode_date(Date d);
boost::json::value encode_month(std::chrono::year_month m);
boost::json::value encode_details(const Details& details);
// Where a value sits in the text, for error sentences: the enclosing members and indexes as a
// chain on the stack, spelled ("verification.accounts[3].month") only when an error names it.
// Decoding a case used to build that text for every member and element it read, most of the
// decode's allocations (issue 15: a firing batch decodes each of its cases).
class JsonPath {
 public:
  JsonPath(const std::string& root) : root_(root) {}  // NOLINT: a caller's path text
  JsonPath(const char* root) : root_(root) {}         // NOLINT
  JsonPath(const JsonPath& parent, std::string_view member) : parent_(&parent), member_(member) {}
  JsonPath(const JsonPath& parent, std::size_t index) : parent_(&parent), index_(index) {}
  std::string text() const;

 private:
  const JsonPath* parent_ = nullptr;  // nullptr: root_ is the whole path
  std::string_view root_, member_;
  std::size_t index_ = std::string::npos;  // an element of the parent array, else a member
};

// Each returns an error sentence (naming `path`) or nullopt and sets `out`.
std::optional<std::string> decode_time(const boost::json::value& in, TimePoint& out,
                                       const JsonPath& path);
std::optional<std::string> decode_date(const boost::json::value& in, Date& out,
                                       const JsonPath& path);
std::optional<std::string> decode_month(const boost::json::value& in, std::chrono::year_month& out,
                                        const JsonPath& path);
std::optional<std::string> decode_details(const boost::json::value& in, Details& out,
                                          const JsonPath& path);
std::optional<std::string> decode_string(const boost::json::value& in, std::string& out,
                                         const JsonPath& path);
std::optional<std::string> decode_bool(const boost::json::value& in, bool& out,
                                       const JsonPath& path);
std::optional<std::string> decode_integer(const boost::json::value& in, std::int64_t& out,
                                          std::int64_t min, std::int64_t max, const JsonPath& path);
// "字段 PATH 应为 WHAT，实际为 ACTUAL".
std::string mismatch(const JsonPath& path, std::string_view what, const boost::json::value& in);
std::string unknown_code(const JsonPath& path, std::string_view code);
std::string unknown_member(const JsonPath& path, std::string_view name);

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};
template <class E>
concept Coded = std::is_enum_v<E> && requires {
  CodeTable<E>::kEntries;
};
template <class T>
concept Described = boost::describe::has_describe_members<T>::value;

template <class T>
boost::json::value encode(const T& v) {
  if constexpr (std::is_same_v<T, std::string>) {
    return boost::json::value(v);
  } else if constexpr (std::is_same_v<T, bool>) {
    return boost::json::value(v);
  } else if constexpr (Coded<T>) {
    return boost::json::value(code_of(v));
  } else if constexpr (std::is_integral_v<T>) {
    return boost::json::value(static_cast<std::int64_t>(v));
  } else if constexpr (std::is_same_v<T, TimePoint>) {
    return encode_time(v);
  } else if constexpr (std::is_same_v<T, Date>) {
    return encode_date(v);
  } else if constexpr (std::is_same_v<T, std::chrono::year_month>) {
    return encode_month(v);
  } else if constexpr (std::is_same_v<T, Details>) {
    return encode_details(v);
  } else if constexpr (IsOptional<T>::value) {
    return v ? encode(*v) : boost::json::value(nullptr);
  } else if constexpr (IsVector<T>::value) {
    boost::json::array out;
    out.reserve(v.size());
    for (const auto& item : v) out.push_back(encode(item));
    return out;
  } else if constexpr (Described<T>) {
    // Sized once and filled by emplace: growing the object member by member (rehashing on the
    // way) and assigning into default values was most of a case's encoding.
    using Members = boost::describe::describe_members<T, boost::describe::mod_public>;
    boost::json::object out;
    out.reserve(boost::mp11::mp_size<Members>::value);
    boost::mp11::mp_for_each<Members>([&](auto m) { out.emplace(m.name, encode(v.*m.pointer)); });
    return out;
  } else {
    static_assert(!sizeof(T), "case_json::encode: no JSON form for this type");
  }
}

template <class T>
std::optional<std::string> decode(const boost::json::value& in, T& out, const JsonPath& path) {
  if constexpr (std::is_same_v<T, std::string>) {
    return decode_string(in, out, path);
  } else if constexpr (std::is_same_v<T, bool>) {
    return decode_bool(in, out, path);
  } else if constexpr (Coded<T>) {
    const auto* s = in.if_string();
    if (s == nullptr) return mismatch(path, "代码文本 (a code)", in);
    const std::string_view code(s->data(), s->size());
    for (const auto& entry : CodeTable<T>::kEntries) {
      if (entry.code == code) {
        out = entry.value;
        return std::nullopt;
      }
    }
    return unknown_code(path, code);
  } else if constexpr (std::is_integral_v<T>) {
    std::int64_t n = 0;
    if (auto e = decode_integer(in, n, std::numeric_limits<T>::min(), std::numeric_limits<T>::max(),
                                path)) {
      return e;
    }
    out = static_cast<T>(n);
    return std::nullopt;
  } else if constexpr (std::is_same_v<T, TimePoint>) {
    return decode_time(in, out, path);
  } else if constexpr (std::is_same_v<T, Date>) {
    return decode_date(in, out, path);
  } else if constexpr (std::is_same_v<T, std::chrono::year_month>) {
    return decode_month(in, out, path);
  } else if constexpr (std::is_same_v<T, Details>) {
    return decode_details(in, out, path);
  } else if constexpr (IsOptional<T>::value) {
    if (in.is_null()) {
      out.reset();
      return std::nullopt;
    }
    typename T::value_type value{};
    if (auto e = decode(in, value, path)) return e;
    out = std::move(value);
    return std::nullopt;
  } else if constexpr (IsVector<T>::value) {
    const auto* array = in.if_array();
    if (array == nullptr) return mismatch(path, "数组 (an array)", in);
    out.clear();
    out.reserve(array->size());
    for (std::size_t i = 0; i < array->size(); ++i) {
      typename T::value_type item{};
      if (auto e = decode((*array)[i], item, JsonPath(path, i))) return e;
      out.push_back(std::move(item));
    }
    return std::nullopt;
  } else if constexpr (Described<T>) {
    const auto* object = in.if_object();
    if (object == nullptr) return mismatch(path, "对象 (an object)", in);
    using Members = boost::describe::describe_members<T, boost::describe::mod_public>;
    // Each member of the text is matched to its field once, against names whose lengths are
    // known at compile time; the fields are then decoded in their declared order (which error
    // is named first stays as it was). Comparing with the names' char pointers (a strlen per
    // comparison) and looking each field up again by hash was half of a case's decoding
    // (issue 15: a firing batch decodes each of its cases).
    std::array<const boost::json::value*, boost::mp11::mp_size<Members>::value> found{};
    for (const auto& kv : *object) {
      const std::string_view key(kv.key().data(), kv.key().size());
      bool known = false;
      std::size_t index = 0;
      boost::mp11::mp_for_each<Members>([&](auto m) {
        constexpr std::string_view kName = decltype(m)::name;
        if (!known && key == kName) {
          if (found[index] == nullptr) found[index] = &kv.value();
          known = true;
        }
        ++index;
      });
      if (!known) return unknown_member(path, kv.key());
    }
    std::optional<std::string> error;
    std::size_t index = 0;
    boost::mp11::mp_for_each<Members>([&](auto m) {
      const boost::json::value* member = found[index++];
      if (error || member == nullptr) return;
      constexpr std::string_view kName = decltype(m)::name;
      error = decode(*member, out.*m.pointer, JsonPath(path, kName));
    });
    return error;
  } else {
    static_assert(!sizeof(T), "case_json::decode: no JSON form for this type");
  }
}

}  // namespace case_json
}  // namespace fangfan
