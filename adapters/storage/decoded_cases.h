// The decoded-case memo (issue 15): the stored text a case's data was last read from or written
// as, with that data. Decoding is a pure function of the text, so a load whose stored text is byte
// for byte the remembered one takes the remembered data instead of parsing again (every write of
// a case reads it back first; the parse was a tenth of a write's cost, and a firing batch parses
// each of its cases). Keyed by the text itself, not by version: data changed by any writer
// (another daemon, a repair, a rolled-back savepoint) has another text and is decoded afresh.
// One memo for the process, shared by the case writer (case_repository.cpp) and the firing
// (adapters/scheduler/firing_preload.cpp). Thread-safety: locked; the storage threads share it.
// Bounded: wiped whole at kMaxEntries cases.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "workflows/case_records.h"

namespace fangfan {

class DecodedCases {
 public:
  static DecodedCases& of_process() {
    static DecodedCases memo;
    return memo;
  }
  // The remembered data when `text` is what it was decoded from.
  std::optional<CaseData> find(std::int64_t case_id, std::string_view text) const {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(case_id);
    if (it == entries_.end() || it->second.text != text) return std::nullopt;
    return it->second.data;
  }
  void remember(std::int64_t case_id, std::string text, const CaseData& data) {
    std::lock_guard lock(mutex_);
    if (entries_.size() >= kMaxEntries && !entries_.contains(case_id)) entries_.clear();
    Entry& e = entries_[case_id];
    e.text = std::move(text);
    e.data = data;
  }

 private:
  static constexpr std::size_t kMaxEntries = 2048;
  struct Entry {
    std::string text;
    CaseData data;
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::int64_t, Entry> entries_;
};

}  // namespace fangfan
