#include "adapters/storage/county_admin_notice.h"

namespace fangfan {

std::vector<NewOutboxMessage> county_admin_messages(
    const Config& config, std::string_view message_type, const std::string& body,
    const std::function<std::string(std::string_view who)>& key_of, TimePoint now,
    std::optional<std::int64_t> case_id) {
  std::vector<NewOutboxMessage> out;
  for (const Person* p : notice_recipients(config, {"county_admin"}, "", "", "")) {
    NewOutboxMessage m;
    // Keyed on who, not on the address: an SMS address is a phone number, and keys appear in
    // logs and errors.
    m.dedupe_key = key_of(p->name + "@" + p->scope);
    m.case_id = case_id;
    m.channel = p->channels.empty() ? "file" : p->channels.front();
    m.recipient = address_for(*p, m.channel);
    m.message_type = std::string(message_type);
    m.body = body;
    m.created_at = now;
    m.next_attempt_at = now;
    m.person = p->name + "@" + p->scope;
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace fangfan
