// How the API says no, and the helpers handlers use to read a JSON body.
//
// Every error answer has the same JSON shape:
//   {"error":"bad_request","field":"visit.date","message":"..."}
// `error` is a stable code for scripts, `message` a sentence for the person at
// the other end (Chinese first, English in brackets), `field` the dotted path of
// the JSON field at fault (400s, and 409 refusals that concern one field), `reason` the case
// rules' stable refusal code (409 "refused" only), plus any `details`.
//
// ApiError is a value (handlers may `return err.response()`) and also an
// exception: the field readers below throw it, and the request handler turns
// any ApiError escaping a handler into its response. Throwing is how a handler
// stops at the first bad field without checking every read by hand.
//
// JsonFields reads typed fields of one JSON object with those errors:
//   JsonFields body = req.json();                 // 400 when not a JSON object
//   std::string date = body.object("visit").string("date");
//   // missing  -> 400 field "visit.date", "缺少字段 visit.date (the field visit.date is missing)"
//   // a number -> 400 field "visit.date", "... must be a string"
// Thread-safety: none needed; values are used by one request at a time.
#pragma once

#include <boost/beast/http/status.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "workflows/clock.h"

namespace fangfan {

struct ApiResponse;

class ApiError : public std::runtime_error {
 public:
  ApiError(boost::beast::http::status status, std::string code, std::string message);

  // 400: a field is missing, of the wrong type or out of range. `field` is its dotted path
  // ("visit.date", "members[2].id_number"); empty when the body as a whole is at fault.
  static ApiError bad_request(std::string field, std::string message);
  // 401: no token, or one that is unknown or revoked.
  static ApiError unauthorized(std::string message);
  // 403: the token's role or scope does not allow this. Nothing was touched.
  static ApiError forbidden(std::string message);
  // 404: no such resource (case, message, ...).
  static ApiError not_found(std::string message);
  // 409 "refused": the case rules refused the event. `reason` is the refusal's stable code
  // (Refusal::code, e.g. "not_in_this_state"), `field` the payload field it concerns (empty when
  // none), `message` the machine's sentence.
  static ApiError refused(std::string reason, std::string message, std::string field = {});
  // 409: the client's version is stale; the current one is in details.current_version.
  static ApiError stale_version(std::int64_t expected, std::int64_t current);
  // 409 with another code, e.g. a message that is not in a retryable status.
  static ApiError conflict(std::string code, std::string message);
  // 503: the database is unavailable (locked, unreachable); retrying later may succeed.
  static ApiError unavailable(std::string message);
  // 500: something the server did not expect. The message must not leak internals.
  static ApiError internal(std::string message);

  boost::beast::http::status status() const { return status_; }
  const std::string& code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& field() const { return field_; }
  const std::string& reason() const { return reason_; }
  boost::json::object& details() { return details_; }
  const boost::json::object& details() const { return details_; }

  boost::json::object to_json() const;
  ApiResponse response() const;

 private:
  boost::beast::http::status status_;
  std::string code_;
  std::string message_;
  std::string field_;
  std::string reason_;
  boost::json::object details_;
};

// Typed, path-aware reads of one JSON object. Every failing read throws
// ApiError::bad_request naming the field's full dotted path.
class JsonFields {
 public:
  // Parses `body` as one JSON object. Malformed JSON (with line and column), an
  // empty body, or a JSON value that is not an object is a 400 with no field.
  static JsonFields parse(std::string_view body);

  // The full path of `key` in this object, e.g. "visit.date".
  std::string path(std::string_view key) const;
  // True when `key` is present and not null.
  bool has(std::string_view key) const;

  // Required fields: missing or null is a 400, as is the wrong type.
  std::string string(std::string_view key) const;  // must not be empty
  std::int64_t integer(std::string_view key) const;
  bool boolean(std::string_view key) const;
  Date date(std::string_view key) const;       // "YYYY-MM-DD", a real calendar date
  TimePoint time(std::string_view key) const;  // see workflows/date.h parse_time
  JsonFields object(std::string_view key) const;
  const boost::json::array& array(std::string_view key) const;
  std::vector<JsonFields> objects(std::string_view key) const;   // array of objects
  std::vector<std::string> strings(std::string_view key) const;  // array of strings
  // A string that must be one of `allowed`.
  std::string one_of(std::string_view key, std::initializer_list<std::string_view> allowed) const;

  // Optional fields: absent or null gives nullopt; present with the wrong type is a 400.
  std::optional<std::string> optional_string(std::string_view key) const;
  std::optional<std::int64_t> optional_integer(std::string_view key) const;
  std::optional<bool> optional_boolean(std::string_view key) const;
  std::optional<Date> optional_date(std::string_view key) const;
  std::optional<TimePoint> optional_time(std::string_view key) const;
  std::optional<JsonFields> optional_object(std::string_view key) const;

  // A field not in `known` is a 400: a misspelt optional field must not be ignored silently.
  void reject_unknown(std::initializer_list<std::string_view> known) const;

  const boost::json::object& raw() const { return *object_; }

 private:
  JsonFields(std::shared_ptr<const boost::json::value> root, const boost::json::object* object,
             std::string path)
      : root_(std::move(root)), object_(object), path_(std::move(path)) {}

  const boost::json::value* find(std::string_view key) const;  // nullptr when absent or null
  const boost::json::value& require(std::string_view key) const;
  [[noreturn]] void wrong_type(std::string_view key, std::string_view expected_zh,
                               std::string_view expected_en) const;

  std::shared_ptr<const boost::json::value> root_;  // keeps nested views alive
  const boost::json::object* object_;
  std::string path_;
};

}  // namespace fangfan
