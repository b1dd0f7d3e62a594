#include "daemon/api/json_errors.h"

#include <boost/json/serialize.hpp>
#include <boost/json/stream_parser.hpp>

#include "daemon/api/api_context.h"
#include "workflows/date.h"
#include "workflows/utf8.h"

namespace fangfan {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

// "line L, column C" of the byte at `offset` (1-based, columns count bytes).
std::string position(std::string_view text, std::size_t offset) {
  int line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return "第 " + std::to_string(line) + " 行第 " + std::to_string(offset - line_start + 1) +
         " 列 (line " + std::to_string(line) + ", column " +
         std::to_string(offset - line_start + 1) + ")";
}

std::string join(std::initializer_list<std::string_view> words) {
  std::string out;
  for (auto w : words) {
    if (!out.empty()) out += ", ";
    out += w;
  }
  return out;
}

}  // namespace

// ---- ApiError

ApiError::ApiError(http::status status, std::string code, std::string message)
    : std::runtime_error(message),
      status_(status),
      code_(std::move(code)),
      message_(std::move(message)) {}

ApiError ApiError::bad_request(std::string field, std::string message) {
  ApiError e(http::status::bad_request, "bad_request", std::move(message));
  e.field_ = std::move(field);
  return e;
}

ApiError ApiError::unauthorized(std::string message) {
  return ApiError(http::status::unauthorized, "unauthorized", std::move(message));
}

ApiError ApiError::forbidden(std::string message) {
  return ApiError(http::status::forbidden, "forbidden", std::move(message));
}

ApiError ApiError::not_found(std::string message) {
  return ApiError(http::status::not_found, "not_found", std::move(message));
}

ApiError ApiError::refused(std::string reason, std::string message, std::string field) {
  ApiError e(http::status::conflict, "refused", std::move(message));
  e.reason_ = std::move(reason);
  e.field_ = std::move(field);
  return e;
}

ApiError ApiError::stale_version(std::int64_t expected, std::int64_t current) {
  ApiError e(http::status::conflict, "stale_version",
             "案件已被他人修改：你提交的版本是 " + std::to_string(expected) + "，当前版本是 " +
                 std::to_string(current) +
                 "，请重新读取后再提交 (the case changed since you read "
                 "it: you sent version " +
                 std::to_string(expected) + ", it is now at version " + std::to_string(current) +
                 "; reload it and try again)");
  e.details_["expected_version"] = expected;
  e.details_["current_version"] = current;
  return e;
}

ApiError ApiError::conflict(std::string code, std::string message) {
  return ApiError(http::status::conflict, std::move(code), std::move(message));
}

ApiError ApiError::unavailable(std::string message) {
  return ApiError(http::status::service_unavailable, "unavailable", std::move(message));
}

ApiError ApiError::internal(std::string message) {
  return ApiError(http::status::internal_server_error, "internal", std::move(message));
}

// Every string of an error answer may echo what a client sent (a query value, a field name, a
// path): bytes that are not UTF-8 are escaped, so the answer is always valid JSON text.
json::object ApiError::to_json() const {
  json::object o;
  o["error"] = escape_invalid_utf8(code_);
  if (!field_.empty()) o["field"] = escape_invalid_utf8(field_);
  if (!reason_.empty()) o["reason"] = escape_invalid_utf8(reason_);
  o["message"] = escape_invalid_utf8(message_);
  for (const auto& [k, v] : details_) {
    o[k] = v.is_string() ? json::value(escape_invalid_utf8(v.get_string())) : v;
  }
  return o;
}

ApiResponse ApiError::response() const {
  ApiResponse r = ApiResponse::json(to_json(), status_);
  if (status_ == http::status::unauthorized) {
    // RFC 6750: say which scheme, and whether a token was presented but refused.
    r.headers.emplace_back(http::field::www_authenticate, "Bearer realm=\"fangfan\"");
  }
  return r;
}

// ---- JsonFields

JsonFields JsonFields::parse(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    throw ApiError::bad_request("",
                                "请求体为空，应为一个 JSON 对象 (the request body is empty; "
                                "a JSON object is expected)");
  }
  json::stream_parser parser;
  boost::system::error_code ec;
  const std::size_t used = parser.write_some(body.data(), body.size(), ec);
  if (!ec && body.substr(used).find_first_not_of(" \t\r\n") != std::string_view::npos) {
    throw ApiError::bad_request("", "请求体在 " + position(body, used) +
                                        " 之后还有多余内容，应只有一个 JSON 对象 (extra text after "
                                        "the JSON value)");
  }
  if (!ec) parser.finish(ec);
  if (ec) {
    throw ApiError::bad_request("", "请求体不是有效的 JSON，错误在 " + position(body, used) +
                                        " (the body is not valid JSON: " + ec.message() + ")");
  }
  auto root = std::make_shared<const json::value>(parser.release());
  if (!root->is_object()) {
    throw ApiError::bad_request("",
                                "请求体应为一个 JSON 对象 {...} (the body must be a JSON "
                                "object)");
  }
  const json::object* object = &root->get_object();
  return JsonFields(std::move(root), object, "");
}

std::string JsonFields::path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

const json::value* JsonFields::find(std::string_view key) const {
  const json::value* v = object_->if_contains(key);
  return v && !v->is_null() ? v : nullptr;
}

bool JsonFields::has(std::string_view key) const { return find(key) != nullptr; }

const json::value& JsonFields::require(std::string_view key) const {
  const json::value* v = find(key);
  if (!v) {
    const std::string p = path(key);
    throw ApiError::bad_request(p, "缺少字段 " + p + " (the field " + p + " is missing)");
  }
  return *v;
}

void JsonFields::wrong_type(std::string_view key, std::string_view expected_zh,
                            std::string_view expected_en) const {
  const std::string p = path(key);
  throw ApiError::bad_request(p, "字段 " + p + " 应为" + std::string(expected_zh) + " (" + p +
                                     " must be " + std::string(expected_en) + ")");
}

std::string JsonFields::string(std::string_view key) const {
  const json::value& v = require(key);
  if (!v.is_string()) wrong_type(key, "字符串", "a string");
  if (v.get_string().empty()) {
    const std::string p = path(key);
    throw ApiError::bad_request(p, "字段 " + p + " 不能为空 (" + p + " must not be empty)");
  }
  return std::string(v.get_string());
}

std::int64_t JsonFields::integer(std::string_view key) const {
  const json::value& v = require(key);
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) {
    const std::string p = path(key);
    throw ApiError::bad_request(p, "字段 " + p + " 数值过大 (" + p + " is too large)");
  }
  wrong_type(key, "整数", "an integer");
}

bool JsonFields::boolean(std::string_view key) const {
  const json::value& v = require(key);
  if (!v.is_bool()) wrong_type(key, "true 或 false", "true or false");
  return v.get_bool();
}

Date JsonFields::date(std::string_view key) const {
  const json::value& v = require(key);
  if (!v.is_string()) wrong_type(key, "日期字符串 YYYY-MM-DD", "a date string YYYY-MM-DD");
  auto d = parse_date(std::string_view(v.get_string()));
  if (!d) {
    const std::string p = path(key);
    throw ApiError::bad_request(p, "字段 " + p + " 不是有效日期“" + std::string(v.get_string()) +
                                       "”，应写成 YYYY-MM-DD (" + p +
                                       " is not a valid date YYYY-MM-DD)");
  }
  return *d;
}

TimePoint JsonFields::time(std::string_view key) const {
  const json::value& v = require(key);
  if (!v.is_string())
    wrong_type(key, "时间字符串 YYYY-MM-DDTHH:MM", "a time string YYYY-MM-DDTHH:MM");
  auto t = parse_time(std::string_view(v.get_string()));
  if (!t) {
    const std::string p = path(key);
    throw ApiError::bad_request(p, "字段 " + p + " 不是有效时间“" + std::string(v.get_string()) +
                                       "”，应写成 YYYY-MM-DDTHH:MM (" + p +
                                       " is not a valid time YYYY-MM-DDTHH:MM, China time)");
  }
  return *t;
}

JsonFields JsonFields::object(std::string_view key) const {
  const json::value& v = require(key);
  if (!v.is_object()) wrong_type(key, "JSON 对象", "an object");
  return JsonFields(root_, &v.get_object(), path(key));
}

const json::array& JsonFields::array(std::string_view key) const {
  const json::value& v = require(key);
  if (!v.is_array()) wrong_type(key, "数组", "an array");
  return v.get_array();
}

std::vector<JsonFields> JsonFields::objects(std::string_view key) const {
  const json::array& a = array(key);
  std::vector<JsonFields> out;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::string p = path(key) + "[" + std::to_string(i) + "]";
    if (!a[i].is_object()) {
      throw ApiError::bad_request(p, "字段 " + p + " 应为 JSON 对象 (" + p + " must be an object)");
    }
    out.push_back(JsonFields(root_, &a[i].get_object(), p));
  }
  return out;
}

std::vector<std::string> JsonFields::strings(std::string_view key) const {
  const json::array& a = array(key);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::string p = path(key) + "[" + std::to_string(i) + "]";
    if (!a[i].is_string()) {
      throw ApiError::bad_request(p, "字段 " + p + " 应为字符串 (" + p + " must be a string)");
    }
    out.emplace_back(a[i].get_string());
  }
  return out;
}

std::string JsonFields::one_of(std::string_view key,
                               std::initializer_list<std::string_view> allowed) const {
  std::string value = string(key);
  for (auto a : allowed) {
    if (a == value) return value;
  }
  const std::string p = path(key);
  throw ApiError::bad_request(p, "字段 " + p + " 的值“" + value + "”无效，可选值：" +
                                     join(allowed) + " (" + p +
                                     " must be one of: " + join(allowed) + ")");
}

std::optional<std::string> JsonFields::optional_string(std::string_view key) const {
  const json::value* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) wrong_type(key, "字符串", "a string");
  return std::string(v->get_string());
}

std::optional<std::int64_t> JsonFields::optional_integer(std::string_view key) const {
  if (!has(key)) return std::nullopt;
  return integer(key);
}

std::optional<bool> JsonFields::optional_boolean(std::string_view key) const {
  if (!has(key)) return std::nullopt;
  return boolean(key);
}

std::optional<Date> JsonFields::optional_date(std::string_view key) const {
  if (!has(key)) return std::nullopt;
  return date(key);
}

std::optional<TimePoint> JsonFields::optional_time(std::string_view key) const {
  if (!has(key)) return std::nullopt;
  return time(key);
}

std::optional<JsonFields> JsonFields::optional_object(std::string_view key) const {
  if (!has(key)) return std::nullopt;
  return object(key);
}

void JsonFields::reject_unknown(std::initializer_list<std::string_view> known) const {
  for (const auto& [k, v] : *object_) {
    bool ok = false;
    for (auto n : known) ok = ok || n == k;
    if (!ok) {
      const std::string p = path(k);
      throw ApiError::bad_request(p, "未知字段 " + p + "，可用字段：" + join(known) +
                                         " (unknown field " + p + "; known fields: " + join(known) +
                                         ")");
    }
  }
}

}  // namespace fangfan
