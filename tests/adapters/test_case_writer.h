// The one way tests write cases. A test builds a CaseWriter here (as the daemon does in
// adapters/scheduler/case_writing.h) with the deadline hook it is about: make_timer_hook() for
// tests of deadlines, a recording or failing hook for tests of the hook, or no_deadlines() for
// tests about something else. StoredCases wraps one session's unit of work and reader in the shape
// of a single object (open_case, apply, load, restore), which most storage tests want.
#pragma once

#include <soci/soci.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

#include "adapters/config/config.h"
#include "adapters/storage/case_repository.h"
#include "workflows/clock.h"

namespace fangfan::test {

// A deadline hook that does nothing: for tests whose subject is not deadlines.
inline CaseChangeHook no_deadlines() {
  return [](soci::session&, const CaseChange&) {};
}

// A writer whose every unit of work runs `deadlines`.
inline std::unique_ptr<CaseWriter> test_case_writer(const Clock& clock, CaseChangeHook deadlines) {
  return std::make_unique<CaseWriter>(clock,
                                      [deadlines = std::move(deadlines)] { return deadlines; });
}

// Case reads and writes on one session. REQUIRES: the session, config and clock outlive it.
class StoredCases {
 public:
  StoredCases(soci::session& session, const Config& config, const Clock& clock,
              CaseChangeHook deadlines = no_deadlines())
      : session_(session),
        config_(config),
        writer_(test_case_writer(clock, std::move(deadlines))),
        work_(writer_->begin(config)) {}

  OpenResult open_case(OpenCase event) { return work_.open_case(session_, std::move(event)); }
  ApplyResult apply(std::int64_t case_id, const CaseEvent& event,
                    std::optional<std::int64_t> expected_version = std::nullopt) {
    return work_.apply(session_, case_id, event, expected_version);
  }
  std::optional<CaseView> load(std::int64_t case_id) const {
    return CaseReader(session_, config_).load(case_id);
  }
  std::optional<CaseMachine> restore(std::int64_t case_id) const {
    return CaseReader(session_, config_).restore(case_id);
  }
  const CaseUnitOfWork& work() const { return work_; }

 private:
  soci::session& session_;
  const Config& config_;
  std::unique_ptr<CaseWriter> writer_;
  CaseUnitOfWork work_;
};

}  // namespace fangfan::test
