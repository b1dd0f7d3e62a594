// Case data written straight as JSON text (issue 15: the API's hot write). The same bytes as
// boost::json::serialize(case_json::encode(x)) for every value (case_json.h gives the format), but
// without building the boost::json tree first: a case's data grows with its visits, and building,
// serializing and freeing that tree was a fifth of a recorded visit's server CPU.
//
//   std::string text;
//   TextSpan household;
//   append_case_data(text, data, &household);  // text[household.begin, household.end) is it
//
// Thread-safety: pure functions.
#pragma once

#include <boost/describe/members.hpp>
#include <boost/json/serialize.hpp>
#include <boost/mp11/algorithm.hpp>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "adapters/storage/case_json.h"
#include "adapters/text/json_text.h"

namespace fangfan {

// Where one value sits in a text: bytes [begin, end).
struct TextSpan {
  std::size_t begin = 0, end = 0;
};

namespace case_json {

template <class T>
void append_text(std::string& out, const T& v);

// A described struct as a JSON object appended to `out`, its public members in declaration
// order; after each member's value, `written(member, begin)` with where that value begins.
template <class T, class Written>
void append_members(std::string& out, const T& v, Written written) {
  using Members = boost::describe::describe_members<T, boost::describe::mod_public>;
  out += '{';
  bool first = true;
  boost::mp11::mp_for_each<Members>([&](auto m) {
    if (!first) out += ',';
    first = false;
    append_json_string(out, m.name);
    out += ':';
    const std::size_t begin = out.size();
    append_text(out, v.*m.pointer);
    written(m, begin);
  });
  out += '}';
}

// `v` as JSON text appended to `out`: what boost::json::serialize(encode(v)) writes.
template <class T>
void append_text(std::string& out, const T& v) {
  if constexpr (std::is_same_v<T, std::string>) {
    append_json_string(out, v);
  } else if constexpr (std::is_same_v<T, bool>) {
    out += v ? "true" : "false";
  } else if constexpr (Coded<T>) {
    append_json_string(out, code_of(v));
  } else if constexpr (std::is_integral_v<T>) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, static_cast<std::int64_t>(v));
    out.append(digits, end.ptr);
  } else if constexpr (std::is_same_v<T, TimePoint> || std::is_same_v<T, Date> ||
                       std::is_same_v<T, std::chrono::year_month>) {
    // Short strings of digits: the codec's own text, never escaped.
    boost::json::value text;
    if constexpr (std::is_same_v<T, TimePoint>) {
      text = encode_time(v);
    } else if constexpr (std::is_same_v<T, Date>) {
      text = encode_date(v);
    } else {
      text = encode_month(v);
    }
    const boost::json::string& s = text.get_string();
    append_json_string(out, std::string_view(s.data(), s.size()));
  } else if constexpr (std::is_same_v<T, Details>) {
    out += boost::json::serialize(encode_details(v));  // small, and its repeated keys renamed
  } else if constexpr (IsOptional<T>::value) {
    if (v) {
      append_text(out, *v);
    } else {
      out += "null";
    }
  } else if constexpr (IsVector<T>::value) {
    out += '[';
    bool first = true;
    for (const auto& item : v) {
      if (!first) out += ',';
      first = false;
      append_text(out, item);
    }
    out += ']';
  } else if constexpr (Described<T>) {
    append_members(out, v, [](auto, std::size_t) {});
  } else {
    static_assert(!sizeof(T), "case_json::append_text: no JSON form for this type");
  }
}

}  // namespace case_json

// A case's data as stored (case_json.h), appended to `out`; with `household`, where the household's
// value is in `out` (the API masks it in its answer).
inline void append_case_data(std::string& out, const CaseData& data, TextSpan* household) {
  case_json::append_members(out, data, [&](auto m, std::size_t begin) {
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(data.*m.pointer)>, Household>) {
      if (household != nullptr) *household = TextSpan{begin, out.size()};
    }
  });
}

}  // namespace fangfan
