// Fuzz target: the API's JSON decoding of every event (daemon/api/event_json.h), as
// POST /api/v1/cases/{id}/events runs it: parse the body, read "type", refuse unknown fields,
// decode. Properties: the only exception is ApiError, always a 400; once the body parsed as an
// object, every refusal names its field; a decoded event is of the type the body named; each
// error's JSON serialises.
#include <boost/json/serialize.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "daemon/api/event_json.h"
#include "daemon/api/json_errors.h"
#include "fuzz/fuzz_check.h"

namespace {

// `body`: the object that parsed, if any.
void check_refusal(const fangfan::ApiError& e, const fangfan::JsonFields* body) {
  FUZZ_CHECK(e.status() == boost::beast::http::status::bad_request, "a bad body is a 400");
  FUZZ_CHECK(!e.message().empty(), "a 400 says why");
  // A field is named, unless the field at fault is the one whose name is "".
  if (body != nullptr && !body->raw().contains("")) {
    FUZZ_CHECK(!e.field().empty(), "a refused field is named");
  }
  FUZZ_CHECK(!boost::json::serialize(e.to_json()).empty(), "the error answer serialises");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fangfan;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::optional<JsonFields> body;
  try {
    body = JsonFields::parse(text);
  } catch (const ApiError& e) {
    check_refusal(e, nullptr);
    return 0;
  }
  std::string type;
  try {
    type = body->string("type");
  } catch (const ApiError& e) {
    check_refusal(e, &*body);
    return 0;
  }
  const EventSchema* schema = find_event_schema(type);
  if (schema == nullptr) return 0;  // the route answers 400 "unknown type" itself
  try {
    reject_unknown_fields(*body, *schema, {"type", "expected_version", "reason"});
    EventMeta meta;
    meta.actor = "李*";
    const CaseEvent event = decode_event(*body, *schema, meta);
    const std::string_view decoded_name =
        std::visit([](const auto& e) { return std::string_view(e.kName); }, event);
    FUZZ_CHECK(decoded_name == schema->name, "the event decoded is the one named");
  } catch (const ApiError& e) {
    check_refusal(e, &*body);
  }
  return 0;
}
