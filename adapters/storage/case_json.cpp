#include "adapters/storage/case_json.h"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cstdio>

#include "workflows/date.h"

namespace fangfan {
namespace {

namespace json = boost::json;

// Reads whatever storage wrote, including strings that are not valid UTF-8 (the writer does not
// check either), so that every value round-trips. The parsed value lives only while it is
// decoded: its nodes come from one arena (`storage`) freed at once, not one allocation each.
std::variant<json::value, std::string> parse_text(std::string_view text, std::string_view what,
                                                  json::storage_ptr storage) {
  json::parse_options options;
  options.allow_invalid_utf8 = true;
  boost::system::error_code ec;
  json::value v =
      json::parse(json::string_view(text.data(), text.size()), ec, std::move(storage), options);
  if (ec) {
    return std::string(what) + "不是有效的 JSON：" + ec.message() + " (" + std::string(what) +
           " is not valid JSON)";
  }
  return v;
}

template <class T>
JsonResult<T> read(std::string_view text, std::string_view what) {
  unsigned char first[8192];  // a case's nodes mostly fit; the arena grows on the heap if not
  json::monotonic_resource arena(first, sizeof first);
  auto parsed = parse_text(text, what, &arena);
  if (auto* error = std::get_if<std::string>(&parsed)) return std::move(*error);
  T out{};
  if (auto e = case_json::decode(std::get<json::value>(parsed), out, "")) {
    return std::string(what) + "有误：" + *e;
  }
  return out;
}

// A short, printable excerpt of a JSON value for messages.
std::string excerpt(const json::value& v) {
  std::string text = json::serialize(v);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

std::string field(const std::string& path) { return path.empty() ? "顶层" : "字段 " + path; }

}  // namespace

std::string case_data_to_json(const CaseData& data) {
  return json::serialize(case_json::encode(data));
}

JsonResult<CaseData> case_data_from_json(std::string_view text) {
  return read<CaseData>(text, "案件数据");
}

std::string case_snapshot_to_json(const CaseSnapshot& snapshot) {
  return json::serialize(case_json::encode(snapshot));
}

JsonResult<CaseSnapshot> case_snapshot_from_json(std::string_view text) {
  return read<CaseSnapshot>(text, "案件快照");
}

std::string details_to_json(const Details& details) {
  return json::serialize(case_json::encode_details(details));
}

JsonResult<Details> details_from_json(std::string_view text) {
  return read<Details>(text, "历史记录详情");
}

namespace case_json {

std::string JsonPath::text() const {
  if (parent_ == nullptr) return std::string(root_);
  std::string out = parent_->text();
  if (index_ != std::string::npos) return out + "[" + std::to_string(index_) + "]";
  if (!out.empty()) out += '.';
  return out.append(member_);
}

std::string mismatch(const JsonPath& at, std::string_view what, const json::value& in) {
  const std::string path = at.text();
  return field(path) + " 应为" + std::string(what) + "，实际为 " + excerpt(in) + " (" +
         (path.empty() ? std::string("the top level") : path) + " has the wrong form)";
}

std::string unknown_code(const JsonPath& at, std::string_view code) {
  const std::string path = at.text();
  return field(path) + " 的代码 \"" + std::string(code) + "\" 不是本程序认识的值 (" + path +
         ": unknown code)";
}

std::string unknown_member(const JsonPath& at, std::string_view name) {
  const std::string where = JsonPath(at, name).text();
  return "字段 " + where + " 不是本程序认识的字段，可能由更新版本的 fangfan 写入 (" + where +
         ": unknown field, written by a newer fangfan?)";
}

namespace {

// Writes `value` as `digits` decimal digits at text[at...] (zero-padded): the stored times, dates
// and months without printf (every case write encodes dozens of them).
void put_digits(char* text, int at, int digits, long long value) {
  for (int i = at + digits - 1; i >= at; --i, value /= 10) text[i] = char('0' + value % 10);
}

}  // namespace

// format_time's text ("2025-03-03T09:00:00+08:00"), written digit by digit instead of through
// printf: every time in a case's data is encoded at each write of the case (a case with many
// visits has hundreds), and printf showed in the API's profile. Years outside 0..9999 (which
// printf writes with more or other characters) go through format_time itself.
json::value encode_time(TimePoint t) {
  const auto local = t + kChinaUtcOffset;
  const auto day = std::chrono::floor<std::chrono::days>(local);
  const std::chrono::year_month_day ymd{day};
  const int year = int(ymd.year());
  if (year < 0 || year > 9999) return json::value(format_time(t));
  const long long second = (local - day).count();
  char text[] = "0000-00-00T00:00:00+08:00";
  put_digits(text, 0, 4, year);
  put_digits(text, 5, 2, unsigned(ymd.month()));
  put_digits(text, 8, 2, unsigned(ymd.day()));
  put_digits(text, 11, 2, second / 3600);
  put_digits(text, 14, 2, second / 60 % 60);
  put_digits(text, 17, 2, second % 60);
  return json::value(json::string_view(text, sizeof text - 1));
}

// As format_date / format_month write them ("2025-03-17", "2025-03"); years outside 0..9999 go
// through those.
json::value encode_date(Date d) {
  const std::chrono::year_month_day ymd{d};
  const int year = int(ymd.year());
  if (year < 0 || year > 9999) return json::value(format_date(d));
  char text[] = "0000-00-00";
  put_digits(text, 0, 4, year);
  put_digits(text, 5, 2, unsigned(ymd.month()));
  put_digits(text, 8, 2, unsigned(ymd.day()));
  return json::value(json::string_view(text, sizeof text - 1));
}

json::value encode_month(std::chrono::year_month m) {
  const int year = int(m.year());
  if (year < 0 || year > 9999) return json::value(format_month(m));
  char text[] = "0000-00";
  put_digits(text, 0, 4, year);
  put_digits(text, 5, 2, unsigned(m.month()));
  return json::value(json::string_view(text, sizeof text - 1));
}

json::value encode_details(const Details& details) {
  json::object out;
  for (const auto& [key, value] : details) {
    std::string name = key;
    for (int n = 2; out.contains(name); ++n) name = key + "#" + std::to_string(n);
    out[name] = value;
  }
  return out;
}

std::optional<std::string> decode_string(const json::value& in, std::string& out,
                                         const JsonPath& path) {
  const auto* s = in.if_string();
  if (s == nullptr) return mismatch(path, "文本 (a string)", in);
  out.assign(s->data(), s->size());
  return std::nullopt;
}

std::optional<std::string> decode_bool(const json::value& in, bool& out, const JsonPath& path) {
  const auto* b = in.if_bool();
  if (b == nullptr) return mismatch(path, " true 或 false (a boolean)", in);
  out = *b;
  return std::nullopt;
}

std::optional<std::string> decode_integer(const json::value& in, std::int64_t& out,
                                          std::int64_t min, std::int64_t max,
                                          const JsonPath& path) {
  if (const auto* i = in.if_int64(); i != nullptr && *i >= min && *i <= max) {
    out = *i;
    return std::nullopt;
  }
  if (const auto* u = in.if_uint64();
      u != nullptr && *u <= static_cast<std::uint64_t>(max) && max >= 0) {
    out = static_cast<std::int64_t>(*u);
    return std::nullopt;
  }
  return mismatch(path, "范围内的整数 (an integer in range)", in);
}

std::optional<std::string> decode_time(const json::value& in, TimePoint& out,
                                       const JsonPath& path) {
  const auto* s = in.if_string();
  const auto t = s ? parse_time(std::string_view(s->data(), s->size())) : std::nullopt;
  if (!t) return mismatch(path, " YYYY-MM-DDTHH:MM:SS+08:00 格式的时间 (a time)", in);
  out = *t;
  return std::nullopt;
}

std::optional<std::string> decode_date(const json::value& in, Date& out, const JsonPath& path) {
  const auto* s = in.if_string();
  const auto d = s ? parse_date(std::string_view(s->data(), s->size())) : std::nullopt;
  if (!d) return mismatch(path, " YYYY-MM-DD 格式的日期 (a date)", in);
  out = *d;
  return std::nullopt;
}

// "YYYY-MM". Month 00 is accepted because it is what an unset std::chrono::year_month{} (year 0,
// month 0) prints as, and reading must give back exactly what was written.
std::optional<std::string> decode_month(const json::value& in, std::chrono::year_month& out,
                                        const JsonPath& path) {
  const auto* s = in.if_string();
  const std::string_view text = s ? std::string_view(s->data(), s->size()) : std::string_view{};
  int year = 0;
  unsigned month = 0;
  const auto digits = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
    }
    return true;
  };
  if (text.size() != 7 || text[4] != '-' || !digits(0, 4) || !digits(5, 7) ||
      std::from_chars(text.data(), text.data() + 4, year).ec != std::errc{} ||
      std::from_chars(text.data() + 5, text.data() + 7, month).ec != std::errc{} || month > 12) {
    return mismatch(path, " YYYY-MM 格式的月份 (a month)", in);
  }
  out = std::chrono::year{year} / std::chrono::month{month};
  return std::nullopt;
}

std::optional<std::string> decode_details(const json::value& in, Details& out,
                                          const JsonPath& path) {
  const auto* object = in.if_object();
  if (object == nullptr) return mismatch(path, "键值对象 (an object of strings)", in);
  out.clear();
  for (const auto& kv : *object) {
    std::string key(kv.key());
    // "key#2" is the second "key" (see encode_details).
    if (const auto hash = key.rfind('#'); hash != std::string::npos && hash > 0) {
      const std::string_view n = std::string_view(key).substr(hash + 1);
      if (!n.empty() && n.find_first_not_of("0123456789") == std::string_view::npos) {
        key.resize(hash);
      }
    }
    std::string value;
    if (auto e = decode_string(kv.value(), value, JsonPath(path, kv.key()))) return e;
    out.emplace_back(std::move(key), std::move(value));
  }
  return std::nullopt;
}

}  // namespace case_json
}  // namespace fangfan
