#include "daemon/tasks/outbox_messages.h"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "adapters/storage/county_admin_notice.h"
#include "workflows/message_templates.h"

namespace fangfan {

namespace json = boost::json;

std::optional<std::map<std::string, std::string>> body_params(const std::string& body) {
  if (body.empty() || body.front() != '{') return std::nullopt;
  boost::system::error_code ec;
  // The parsed tree lives in a buffer on the stack (a body is a few hundred bytes; a larger one
  // goes on in the heap): no allocation per key and value of a tree read once and dropped.
  unsigned char buffer[2048];
  json::monotonic_resource memory(buffer, sizeof buffer);
  json::value v = json::parse(body, ec, &memory);
  if (ec || !v.is_object()) return std::nullopt;
  std::map<std::string, std::string> params;
  for (const auto& [k, val] : v.get_object()) {
    params[std::string(k)] = val.is_string() ? std::string(val.get_string()) : json::serialize(val);
  }
  return params;
}

std::string json_body(const std::map<std::string, std::string>& params) {
  json::object o;
  for (const auto& [k, v] : params) o[k] = v;
  return json::serialize(o);
}

const Person* person_for(const Config& c, const OutboxRecord& m) {
  if (m.person.empty()) return nullptr;
  for (const auto& p : c.people) {
    if (p.name + "@" + p.scope == m.person) return &p;
  }
  return nullptr;
}

NewOutboxMessage channel_copy(const Person& p, const OutboxRecord& m, const std::string& channel,
                              TimePoint now) {
  NewOutboxMessage next;
  next.dedupe_key = m.dedupe_key + ">" + channel;
  next.case_id = m.case_id;
  next.channel = channel;
  next.recipient = address_for(p, channel);
  next.message_type = m.message_type;
  next.body = m.body;
  next.created_at = now;
  next.next_attempt_at = now;
  next.person = m.person;
  return next;
}

std::vector<NewOutboxMessage> dead_letters(const Config& c, const OutboxRecord& m,
                                           const std::string& error, TimePoint now) {
  if (m.message_type == "dead_letter") return {};  // never a notice about a notice
  const std::string body = json_body({{"outbox_id", std::to_string(m.id)},
                                      {"channel", m.channel},
                                      {"recipient_masked", mask_recipient(m.recipient)},
                                      {"message_type", m.message_type},
                                      {"error", error}});
  return county_admin_messages(
      c, "dead_letter", body,
      [&](std::string_view who) {
        return "dead_letter:" + std::to_string(m.id) + ":" + std::string(who);
      },
      now);
}

DeliveryAnswer to_answer(const DeliveryResult& r) {
  DeliveryAnswer answer;
  switch (r.outcome) {
    case DeliveryResult::Outcome::kSent:
      answer.kind = DeliveryAnswer::Kind::kAccepted;
      break;
    case DeliveryResult::Outcome::kRetry:
      answer.kind = DeliveryAnswer::Kind::kTransient;
      break;
    case DeliveryResult::Outcome::kRateLimited:
      answer.kind = DeliveryAnswer::Kind::kRateLimited;
      break;
    case DeliveryResult::Outcome::kPermanent:
      answer.kind = DeliveryAnswer::Kind::kPermanent;
      break;
  }
  answer.provider_message_id = r.provider_message_id;
  answer.provider_code = r.provider_code;
  answer.error = r.error;
  answer.retry_after = r.retry_after;
  return answer;
}

}  // namespace fangfan
