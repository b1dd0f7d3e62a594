// A storage fault seam for tests: fails the N-th SQL statement run on any session of a Database
// opened with options(), as a lost connection or a refused write would, so a test can walk
// N = 1, 2, ... through an operation until a run completes without the fault firing.
//
// It is DatabaseOptions::query_filter, run on every session the Database hands out: each
// statement's text passes through it (`session << ...`, `session.prepare << ...`, rowsets, the
// BEGIN, COMMIT of WriteTransaction, and each run of a statement kept prepared by
// adapters/storage/prepared.h), and the armed one gets a word in front that is no SQL, so the
// database itself refuses it (soci_error, then StorageError from the storage layer). The
// statement keeps its placeholders: SOCI's PostgreSQL backend binds by them before it runs.
// ROLLBACK is neither counted nor failed: a failed rollback is a lost connection, which this seam
// does not model (the session would stay inside its transaction).
//
// Thread-safety: the counter is shared by all sessions and atomic; arm() between operations.
#pragma once

#include <soci/soci.h>

#include <atomic>
#include <memory>
#include <string>

#include "adapters/storage/database.h"

namespace fangfan::test {

class StatementFaults {
 public:
  StatementFaults() : state_(std::make_shared<State>()) {}

  // `base` with the seam on every session.
  DatabaseOptions options(DatabaseOptions base = {}) const {
    base.query_filter = [state = state_](const std::string& query) -> std::string {
      if (query == "ROLLBACK") return query;
      const long n = ++state->seen;
      if (n == state->fail_at.load()) {
        state->fired = true;
        return "fangfan_injected_fault " + query;
      }
      return query;
    };
    return base;
  }

  // Fails the n-th statement from now (1-based); 0 fails none. Resets seen() and fired().
  void arm(long n) {
    state_->fail_at = 0;
    state_->seen = 0;
    state_->fired = false;
    state_->fail_at = n;
  }
  void disarm() { state_->fail_at = 0; }
  // Statements counted since arm().
  long seen() const { return state_->seen; }
  // Whether the armed statement was reached (and failed).
  bool fired() const { return state_->fired; }

 private:
  struct State {
    std::atomic<long> seen{0};
    std::atomic<long> fail_at{0};
    std::atomic<bool> fired{false};
  };
  std::shared_ptr<State> state_;
};

}  // namespace fangfan::test
