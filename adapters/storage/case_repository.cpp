#include "adapters/storage/case_repository.h"

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

#include "adapters/storage/case_json.h"
#include "adapters/storage/database.h"
#include "adapters/storage/decoded_cases.h"
#include "adapters/storage/outbox_store.h"
#include "adapters/storage/prepared.h"
#include "adapters/storage/row_fetch.h"
#include "workflows/id_number.h"
#include "workflows/refusal_codes.h"

namespace fangfan {
namespace {

// The case id a machine gets while an OpenCase is checked, before the row (and so the real id)
// exists. Never stored: parse_case_id() refuses it.
constexpr const char* kProvisionalCaseId = "0";

// Where a re-identified household's new case says it came from: the look-back (回头看) visits
// are carried out by the village committee with the township.
constexpr DiscoverySource kReidentifiedSource = DiscoverySource::kVillageScreening;

std::string label_of_case(std::int64_t id) { return "案件 " + format_case_id(id); }

StorageError unreadable(std::int64_t id, const std::string& why) {
  return StorageError(StorageError::Kind::kQuery, label_of_case(id) + " 的存储数据无法读取：" +
                                                      why + " (stored case " + format_case_id(id) +
                                                      " cannot be read back)");
}

HistoryEntry entry_of(const HistoryRecord& r) {
  HistoryEntry e;
  e.case_id = format_case_id(r.case_id);
  e.version = r.seq;
  e.before = r.before_state;
  e.after = r.after_state;
  e.event = r.event;
  e.actor = r.actor;
  e.at = r.at;
  e.reason = r.reason;
  auto details = details_from_json(r.details);
  if (auto* error = std::get_if<std::string>(&details)) {
    throw unreadable(r.case_id, "第 " + std::to_string(r.seq) + " 条历史记录：" + *error);
  }
  e.details = std::get<Details>(std::move(details));
  return e;
}

std::string head_name(const Household& h) {
  const Member* head = h.head();
  return head != nullptr ? head->name : std::string();
}

// Takes the household's row lock for the rest of the transaction, creating the row first when
// the household is new, so that "no other case in progress" and the write that relies on it are
// one atomic step. SQLite needs nothing more: BEGIN IMMEDIATE already serialises every writer.
// On PostgreSQL a concurrent writer of the same household waits here (on the row lock, or on
// the other transaction's uncommitted insert of the row) until the first one commits, and then
// sees its case.
struct EnsureHousehold {
  std::string code, village, township, head, phone;
  long long at = 0;
  static std::string sql() {
    return "INSERT INTO households (code, village_code, township_code, head_name, phone,"
           " created_at, updated_at) VALUES (:code, :village, :township, :head, :phone,"
           " :created, :updated) ON CONFLICT (code) DO NOTHING";
  }
  void bind(storage_detail::Prepared& p) {
    p, soci::use(code), soci::use(village), soci::use(township), soci::use(head), soci::use(phone),
        soci::use(at), soci::use(at);
  }
};

struct LockHouseholdRow {  // PostgreSQL only
  std::string code, found;
  static std::string sql() { return "SELECT code FROM households WHERE code = :code FOR UPDATE"; }
  void bind(storage_detail::Prepared& p) { p, soci::use(code), soci::into(found); }
};

void lock_household(soci::session& session, const Household& h, const std::string& township,
                    TimePoint now) {
  guarded("锁定农户 " + h.code + " 失败 (locking household " + h.code + " failed)", [&] {
    storage_detail::Kept<EnsureHousehold> insert(session);
    insert->code = h.code;
    insert->village = h.village_code;
    insert->township = township;
    insert->head = head_name(h);
    insert->phone = h.phone;
    insert->at = now.time_since_epoch().count();
    insert.execute();
    if (dialect_of(session) == Dialect::kPostgresql) {
      storage_detail::Kept<LockHouseholdRow> lock(session);
      lock->code = h.code;
      lock.execute();
    }
  });
}

// The household's cases in progress other than `except`.
std::vector<CaseRecord> other_cases_in_progress(soci::session& session, const std::string& code,
                                                std::int64_t except) {
  std::vector<CaseRecord> found;
  for (CaseRecord& c : load_cases_of_household(session, code)) {
    if (c.id != except && case_in_progress(c.state)) found.push_back(std::move(c));
  }
  return found;
}

}  // namespace

std::string format_case_id(std::int64_t id) { return std::to_string(id); }

std::optional<std::int64_t> parse_case_id(std::string_view text) {
  std::int64_t id = 0;
  if (text.empty() || text.front() == '0' || text.front() == '+' || text.front() == '-') {
    return std::nullopt;
  }
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return id;
}

namespace {

struct Loaded {
  CaseRecord record;
  CaseSnapshot snapshot;
};

// The case's data through the decoded-case memo (decoded_cases.h).
Loaded decoded(std::int64_t case_id, CaseRecord record);

std::optional<Loaded> load_row(soci::session& session, std::int64_t case_id) {
  auto record = load_case(session, case_id);
  if (!record) return std::nullopt;
  return decoded(case_id, std::move(*record));
}

Loaded decoded(std::int64_t case_id, CaseRecord record) {
  DecodedCases& memo = DecodedCases::of_process();
  CaseSnapshot snapshot{format_case_id(case_id), record.state, record.version, {}};
  if (std::optional<CaseData> known = memo.find(case_id, record.data)) {
    snapshot.data = std::move(*known);
  } else {
    auto data = case_data_from_json(record.data);
    if (auto* error = std::get_if<std::string>(&data)) throw unreadable(case_id, *error);
    snapshot.data = std::get<CaseData>(std::move(data));
    memo.remember(case_id, record.data, snapshot.data);
  }
  return Loaded{std::move(record), std::move(snapshot)};
}

// Writes a case's new state and data (update_case_state) and remembers the text with the data it
// encodes (case_json.h: round trips are exact), so that the next load need not parse it. The data
// is written once, as text (CaseChange::data_text, `household` where its household is).
bool save_case_state(soci::session& session, std::int64_t case_id, std::int64_t loaded_version,
                     const CaseSnapshot& snapshot, TimePoint now, std::string& text,
                     TextSpan& household) {
  text.clear();
  append_case_data(text, snapshot.data, &household);
  if (!update_case_state(session, case_id, loaded_version, snapshot.state, text, now)) {
    return false;
  }
  DecodedCases::of_process().remember(case_id, text, snapshot.data);
  return true;
}

}  // namespace

std::optional<CaseMachine> CaseReader::restore(std::int64_t case_id) const {
  auto loaded = load_row(session_, case_id);
  if (!loaded) return std::nullopt;
  auto machine = CaseMachine::restore(config_.rules, loaded->snapshot);
  if (auto* error = std::get_if<std::string>(&machine)) throw unreadable(case_id, *error);
  return std::get<CaseMachine>(std::move(machine));
}

std::optional<CaseView> CaseReader::load(std::int64_t case_id) const {
  auto loaded = load_row(session_, case_id);
  if (!loaded) return std::nullopt;
  CaseView view;
  view.id = case_id;
  view.previous_case_id = loaded->record.previous_case_id;
  view.updated_at = loaded->record.updated_at;
  // Rows beyond the version read are from a writer that committed in between (PostgreSQL reads
  // each statement at its own moment): leave them out so history and state agree.
  for (const HistoryRecord& r : load_history(session_, case_id)) {
    if (r.seq <= loaded->record.version) view.history.push_back(entry_of(r));
  }
  view.snapshot = std::move(loaded->snapshot);
  return view;
}

CaseWriter::CaseWriter(const Clock& clock, DeadlineHookSource deadlines)
    : clock_(clock), deadlines_(std::move(deadlines)) {
  if (!deadlines_) {
    throw std::invalid_argument(
        "CaseWriter needs its deadline hook: cases would change without their deadlines");
  }
}

CaseUnitOfWork CaseWriter::begin(const Config& config) const {
  CaseChangeHook hook = deadlines_();
  if (!hook) throw std::logic_error("CaseWriter: the deadline hook source gave no hook");
  return CaseUnitOfWork(config, clock_, std::move(hook));
}

OpenResult CaseUnitOfWork::open_case(soci::session& session, OpenCase event,
                                     const CaseChangeHook& also) const {
  return CaseRepository(session, config_, clock_, deadlines_, also).open_case(std::move(event));
}

ApplyResult CaseUnitOfWork::apply(soci::session& session, std::int64_t case_id,
                                  const CaseEvent& event,
                                  std::optional<std::int64_t> expected_version,
                                  const CaseChangeHook& also) const {
  return CaseRepository(session, config_, clock_, deadlines_, also)
      .apply(case_id, event, expected_version);
}

OpenResult CaseUnitOfWork::open_case_in(soci::session& session, OpenCase event,
                                        const CaseChangeHook& also) const {
  return CaseRepository(session, config_, clock_, deadlines_, also, false)
      .open_case(std::move(event));
}

ApplyResult CaseUnitOfWork::apply_in(soci::session& session, std::int64_t case_id,
                                     const CaseEvent& event,
                                     std::optional<std::int64_t> expected_version,
                                     const CaseChangeHook& also,
                                     const PlaceCheck& may_write) const {
  return CaseRepository(session, config_, clock_, deadlines_, also, false)
      .apply(case_id, event, expected_version, may_write);
}

void CaseRepository::run_hooks(const CaseChange& change) {
  deadlines_(session_, change);
  if (also_) also_(session_, change);
}

// What the machine's household guards decide with. A household of a configured village is
// locked first, so that "no other case in progress" and the write that relies on it are one
// atomic step.
HouseholdContext CaseRepository::household_context(const OpenCase& event) {
  const Household& h = event.household;
  HouseholdContext context;
  const Village* village = config_.find_village(h.village_code);
  context.village_configured = village != nullptr;
  if (village == nullptr) return context;  // refused by the machine: nothing to lock
  lock_household(session_, h, village->township, clock_.now());
  for (const CaseRecord& c : other_cases_in_progress(session_, h.code, 0)) {
    context.case_in_progress_id = format_case_id(c.id);
    context.case_in_progress_state = c.state;
    break;
  }
  if (!event.previous_case_id.empty()) {
    const auto previous = parse_case_id(event.previous_case_id);
    const auto stored = previous ? load_case(session_, *previous) : std::nullopt;
    context.previous_case_exists = stored.has_value();
    if (stored) context.previous_case_household = stored->household_code;
  }
  return context;
}

// The same for an event on a stored case: whether the village of a household the event names
// is configured, and, for a case not in progress (an event may make it one again: a rollback),
// the household's other case in progress, read under the household's lock.
HouseholdContext CaseRepository::household_context(std::int64_t case_id, const CaseSnapshot& stored,
                                                   const CaseEvent& event) {
  HouseholdContext context;
  std::visit(
      [&](const auto& e) {
        if constexpr (requires { e.household.village_code; }) {
          context.village_configured = config_.find_village(e.household.village_code) != nullptr;
        }
      },
      event);
  if (case_in_progress(stored.state)) return context;
  const Household& h = stored.data.household;
  const Village* village = config_.find_village(h.village_code);
  lock_household(session_, h, village != nullptr ? village->township : std::string(), clock_.now());
  for (const CaseRecord& c : other_cases_in_progress(session_, h.code, case_id)) {
    context.case_in_progress_id = format_case_id(c.id);
    context.case_in_progress_state = c.state;
    break;
  }
  return context;
}

void CaseRepository::sync_household(const Household& h, TimePoint now) {
  const Village* village = config_.find_village(h.village_code);
  const std::string township = village != nullptr ? village->township : std::string();
  if (!load_household(session_, h.code)) {
    HouseholdRecord record;
    record.code = h.code;
    record.village_code = h.village_code;
    record.township_code = township;
    record.head_name = head_name(h);
    record.phone = h.phone;
    record.created_at = now;
    record.updated_at = now;
    insert_household(session_, record);
  } else {
    guarded("更新农户 " + h.code + " 失败 (updating household " + h.code + " failed)", [&] {
      const std::string head = head_name(h);
      const long long updated = now.time_since_epoch().count();
      session_ << "UPDATE households SET village_code = :village, township_code = :township,"
                  " head_name = :head, phone = :phone, updated_at = :updated WHERE code = :code",
          soci::use(h.village_code), soci::use(township), soci::use(head), soci::use(h.phone),
          soci::use(updated), soci::use(h.code);
    });
  }
  // Members: the current ones, matched by ID number; people who left the household are removed
  // from the index (the case data and history keep them).
  const std::vector<MemberRecord> stored = load_members(session_, h.code);
  for (const MemberRecord& old : stored) {
    const bool still = std::any_of(h.members.begin(), h.members.end(),
                                   [&](const Member& m) { return m.id_number == old.id_number; });
    if (!still) {
      guarded("更新农户 " + h.code + " 的成员失败 (updating the members of " + h.code + " failed)",
              [&] {
                const long long id = old.id;
                session_ << "DELETE FROM household_members WHERE id = :id", soci::use(id);
              });
    }
  }
  for (const Member& m : h.members) {
    MemberRecord record;
    record.household_code = h.code;
    record.name = m.name;
    record.id_number = m.id_number;
    record.relation = std::string(code_of(m.relation));
    record.able_to_work = m.able_to_work;
    record.disabled = m.disabled;
    record.student = m.student;
    const auto old = std::find_if(stored.begin(), stored.end(), [&](const MemberRecord& s) {
      return s.id_number == m.id_number;
    });
    if (old == stored.end()) {
      insert_member(session_, record);
      continue;
    }
    guarded("更新农户 " + h.code + " 的成员失败 (updating the members of " + h.code + " failed)",
            [&] {
              const long long id = old->id;
              const int able = m.able_to_work ? 1 : 0, disabled = m.disabled ? 1 : 0,
                        student = m.student ? 1 : 0;
              session_ << "UPDATE household_members SET name = :name, relation = :relation,"
                          " able_to_work = :able, disabled = :disabled, student = :student"
                          " WHERE id = :id",
                  soci::use(record.name), soci::use(record.relation), soci::use(able),
                  soci::use(disabled), soci::use(student), soci::use(id);
            });
  }
}

std::int64_t CaseRepository::append(std::int64_t case_id, const HistoryEntry& entry) {
  HistoryRecord r;
  r.case_id = case_id;
  r.event = entry.event;
  r.before_state = entry.before;
  r.after_state = entry.after;
  r.actor = entry.actor;
  r.at = entry.at;
  r.reason = entry.reason;
  r.details = details_to_json(entry.details);
  const std::int64_t seq = append_history(session_, r);
  if (seq != entry.version) {
    // History and version always move together; a mismatch means rows were written behind the
    // repository's back. Refuse to make it worse (the transaction rolls back).
    throw StorageError(StorageError::Kind::kConstraint,
                       label_of_case(case_id) + " 的历史记录（第 " + std::to_string(seq) +
                           " 条）与版本号（" + std::to_string(entry.version) +
                           "）不一致，未作任何更改 (history and version of case " +
                           format_case_id(case_id) + " disagree; nothing was changed)");
  }
  return seq;
}

std::vector<std::int64_t> CaseRepository::queue_notices(std::int64_t case_id,
                                                        const Outcome& outcome,
                                                        const CaseData& data) {
  // Each notice goes to the roles it names (Notice::roles) as its message type. A written notice
  // (书面告知) is for the household, who has no channel: the township clerk prints it and hands
  // it over. Nobody holding the roles: the township head, else the county admin; the household
  // appears only by its masked head.
  std::vector<std::int64_t> ids;
  if (outcome.notices.empty()) return ids;
  const Household& household = data.household;
  const TimePoint now = clock_.now();
  const Village* village = config_.find_village(household.village_code);
  const std::string township = village ? village->township : std::string();
  const Member* head = household.head();
  for (std::size_t i = 0; i < outcome.notices.size(); ++i) {
    const Notice& notice = outcome.notices[i];
    std::vector<const Person*> clerks = notice_recipients_or_fallback(
        config_, notice.roles, township, household.village_code, data.officer);
    // Not even a county admin configured: the notice is still kept, in the file channel, for
    // whoever reads it there.
    Person nobody;
    if (clerks.empty()) {
      nobody.name = "乡镇经办人";
      nobody.scope = township.empty() ? household.village_code : township;
      nobody.channels = {"file"};
      clerks.push_back(&nobody);
    }
    boost::json::object params;
    params["case_id"] = format_case_id(case_id);
    params["household"] = head ? mask_name(head->name) : std::string("（户主未登记）");
    params["village"] = place_name(config_, household.village_code);
    params["text"] = notice.text;
    const std::string body = boost::json::serialize(params);
    for (const Person* clerk : clerks) {
      NewOutboxMessage m;
      m.dedupe_key = "notice:" + format_case_id(case_id) + ":" +
                     std::to_string(outcome.entry.version) + ":" + std::to_string(i + 1) + ":" +
                     clerk->name + "@" + clerk->scope;
      m.case_id = case_id;
      m.channel = clerk->channels.empty() ? "file" : clerk->channels.front();
      m.recipient = address_for(*clerk, m.channel);
      m.message_type = notice.message_type;
      m.body = body;
      m.created_at = now;
      m.next_attempt_at = now;
      m.person = clerk->name + "@" + clerk->scope;
      ids.push_back(enqueue_outbox(session_, m).id);
    }
  }
  return ids;
}

std::variant<CaseChange, Refusal> CaseRepository::insert_new_case(const OpenCase& requested) {
  // The machine checks the event first (household, ID numbers, kind, ...) with a provisional
  // id, so that nothing is written for an event it refuses.
  OpenCase event = requested;
  event.case_id = kProvisionalCaseId;
  const HouseholdContext household = household_context(event);
  CaseMachine trial(config_.rules);
  EventResult checked = trial.handle(event, household);
  if (!checked.accepted()) return checked.refusal();  // the caller rolls back

  const TimePoint now = clock_.now();
  sync_household(event.household, now);
  CaseRecord record;
  record.household_code = event.household.code;
  record.kind = event.kind;
  record.state = std::string(trial.state());
  record.version = trial.version();
  record.source = std::string(code_of(event.source));
  record.emergency = event.emergency;
  record.opened_at = event.meta.at;
  if (!event.previous_case_id.empty())
    record.previous_case_id = parse_case_id(event.previous_case_id);
  record.updated_at = now;
  const std::int64_t id = insert_case(session_, record);

  // The same event again, now with the real id, which the data carries.
  event.case_id = format_case_id(id);
  CaseMachine machine(config_.rules);
  EventResult result = machine.handle(event, household);
  if (!result.accepted()) return result.refusal();  // the caller rolls back
  CaseChange change;
  append_case_data(change.data_text, machine.data(), &change.household_text);  // stored, answered
  const std::string& data = change.data_text;
  guarded(
      "保存" + label_of_case(id) + " 失败 (saving case " + format_case_id(id) + " failed)", [&] {
        const long long key = id;
        session_ << "UPDATE cases SET data = :data WHERE id = :id", soci::use(data), soci::use(key);
      });
  DecodedCases::of_process().remember(id, data, machine.data());

  change.case_id = id;
  change.snapshot = machine.snapshot();
  change.outcome = result.outcome();
  change.history_seq = append(id, change.outcome.entry);
  change.outbox_ids = queue_notices(id, change.outcome, change.snapshot.data);
  run_hooks(change);
  return change;
}

OpenResult CaseRepository::open_case(OpenCase event) {
  std::optional<WriteTransaction> tx;  // none when the caller holds the transaction
  if (own_transaction_) tx.emplace(session_);
  auto result = insert_new_case(event);
  if (tx && std::holds_alternative<CaseChange>(result)) tx->commit();
  return result;
}

ApplyResult CaseRepository::apply(std::int64_t case_id, const CaseEvent& event,
                                  std::optional<std::int64_t> expected_version,
                                  const PlaceCheck& may_write) {
  std::optional<WriteTransaction> tx;  // none when the caller holds the transaction
  if (own_transaction_) tx.emplace(session_);
  const auto not_found = [&] {
    return CaseNotFound{case_id, "没有编号为 " + format_case_id(case_id) + " 的案件"};
  };
  std::optional<Loaded> loaded;
  if (may_write) {
    // One read for the place and the case (a write of the API reads each case once).
    auto placed = load_case_with_place(session_, case_id);
    if (!placed) return not_found();
    if (!may_write(placed->village_code)) {
      Refusal outside;
      outside.code = std::string(kOutsidePlaceCode);
      outside.state = placed->record.state;
      outside.event = std::string(event_name(event));
      outside.message = label_of_case(case_id) + " 不在允许的范围内 (case " +
                        format_case_id(case_id) + " is outside the allowed places)";
      return outside;
    }
    loaded = decoded(case_id, std::move(placed->record));
  } else {
    loaded = load_row(session_, case_id);
    if (!loaded) return not_found();
  }
  const auto stale = [&](std::int64_t expected, std::int64_t current) {
    return StaleVersion{case_id, expected, current,
                        label_of_case(case_id) + " 已被他人更新（您看到的是第 " +
                            std::to_string(expected) + " 版，现在是第 " + std::to_string(current) +
                            " 版），请刷新后重新操作"};
  };
  const std::int64_t loaded_version = loaded->record.version;
  if (expected_version && *expected_version != loaded_version) {
    return stale(*expected_version, loaded_version);
  }
  auto restored = CaseMachine::restore(config_.rules, loaded->snapshot);
  if (auto* error = std::get_if<std::string>(&restored)) throw unreadable(case_id, *error);
  CaseMachine& machine = std::get<CaseMachine>(restored);

  const HouseholdContext household = household_context(case_id, loaded->snapshot, event);
  EventResult result = machine.handle(event, household);
  if (!result.accepted()) return result.refusal();  // nothing written: tx rolls back

  const TimePoint now = clock_.now();
  CaseChange change;
  change.case_id = case_id;
  change.snapshot = machine.snapshot();
  change.outcome = result.outcome();
  if (!save_case_state(session_, case_id, loaded_version, change.snapshot, now, change.data_text,
                       change.household_text)) {
    // Only possible on PostgreSQL: another writer committed between our read and our write.
    const auto current = load_case(session_, case_id);
    return stale(expected_version.value_or(loaded_version),
                 current ? current->version : loaded_version);
  }
  change.history_seq = append(case_id, change.outcome.entry);
  if (change.snapshot.data.household != loaded->snapshot.data.household) {
    sync_household(change.snapshot.data.household, now);
  }
  change.outbox_ids = queue_notices(case_id, change.outcome, change.snapshot.data);

  if (const auto& request = change.outcome.new_case) {
    OpenCase open;
    open.meta = event_meta(event);
    open.kind = request->kind;
    open.household = request->household;
    open.source = kReidentifiedSource;
    open.risk_causes = request->risk_causes;
    open.emergency = request->emergency;
    open.emergency_reason = request->emergency_reason;
    open.previous_case_id = request->previous_case_id;
    auto opened = insert_new_case(open);
    if (auto* refusal = std::get_if<Refusal>(&opened)) {
      Refusal r = *refusal;
      r.state = change.outcome.entry.before;
      r.event = change.outcome.entry.event;
      r.message =
          "不能" + std::string(event_label(event)) + "：新案件无法建档（" + r.message + "）";
      return r;  // the whole change rolls back
    }
    change.new_case_id = std::get<CaseChange>(opened).case_id;
  }
  run_hooks(change);
  if (tx) tx->commit();
  return change;
}

}  // namespace fangfan
