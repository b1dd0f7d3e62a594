// The decoded-case memo (issue 15): the stored text a case's data was last read from or written
// as, with that data. Decoding is a pure function of the text, so a load whose stored text is byte
// for byte the remembered one takes the remembered data instead of parsing again (every write of
// a case reads it back first; the parse was a tenth of a write's cost, and a firing batch parses
// each of its cases). Keyed by the text itself, not by version: data changed by any writer
// (another daemon, a repair, a rolled-back savepoint) has another text and is decoded afresh.
// One memo for the process, shared by the case writer (case_repository.cpp) and the firing
// (adapters/scheduler/firing_preload.cpp). Thread-safety: locked; the storage threads share it.
// Bounded: the case used longest ago is forgotten first (LRU), so a working set just above the
// bound loses only its coldest cases, not everything at once.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "workflows/case_records.h"

namespace fangfan {

class DecodedCases {
 public:
  static constexpr std::size_t kMaxEntries = 2048;

  static DecodedCases& of_process() {
    static DecodedCases memo;
    return memo;
  }
  // The remembered data when `text` is what it was decoded from (the case becomes the most
  // recently used).
  std::optional<CaseData> find(std::int64_t case_id, std::string_view text) const {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(case_id);
    if (it == entries_.end() || it->second.text != text) return std::nullopt;
    recent_.splice(recent_.begin(), recent_, it->second.at);
    return it->second.data;
  }
  void remember(std::int64_t case_id, std::string text, const CaseData& data) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(case_id);
    if (it == entries_.end()) {
      if (entries_.size() >= kMaxEntries) {
        entries_.erase(recent_.back());
        recent_.pop_back();
      }
      recent_.push_front(case_id);
      it = entries_.emplace(case_id, Entry{{}, {}, recent_.begin()}).first;
    } else {
      recent_.splice(recent_.begin(), recent_, it->second.at);
    }
    it->second.text = std::move(text);
    it->second.data = data;
  }

 private:
  struct Entry {
    std::string text;
    CaseData data;
    std::list<std::int64_t>::iterator at;  // in recent_
  };
  mutable std::mutex mutex_;
  mutable std::list<std::int64_t> recent_;  // case ids, most recently used first
  std::unordered_map<std::int64_t, Entry> entries_;
};

}  // namespace fangfan
