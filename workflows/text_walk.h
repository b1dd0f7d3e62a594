// Every piece of text in a case event, visited once with its field path, so that one rule (the
// checks of text_rules.h in the core, NFC normalisation in adapters/text/) reaches every string
// an event carries however it came in: the meta's actor and reason ("meta.actor",
// "meta.reason") and each string member of the payload, through records, lists and optionals
// ("household.members[2].name", "accounts[0]...").
// The walk follows Boost.Describe, as the API's decoder does, so a field added to an event is
// walked without being listed here.
// Thread-safety: pure templates.
#pragma once

#include <boost/describe/members.hpp>
#include <boost/mp11/algorithm.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "workflows/case_events.h"

namespace fangfan::text_walk {

template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};
template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};

// Calls `visit(text, path)` for each string in `value` (T possibly const); stops at the first
// call that returns true and returns true then.
template <class T, class Visit>
bool walk(T& value, const std::string& path, Visit& visit) {
  using V = std::remove_const_t<T>;
  if constexpr (std::is_same_v<V, std::string>) {
    return visit(value, path);
  } else if constexpr (IsVector<V>::value) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (walk(value[i], path + "[" + std::to_string(i) + "]", visit)) return true;
    }
    return false;
  } else if constexpr (IsOptional<V>::value) {
    return value.has_value() && walk(*value, path, visit);
  } else if constexpr (boost::describe::has_describe_members<V>::value) {
    bool stop = false;
    boost::mp11::mp_for_each<boost::describe::describe_members<V, boost::describe::mod_public>>(
        [&](auto m) {
          if (!stop) {
            stop = walk(value.*m.pointer, path.empty() ? std::string(m.name) : path + "." + m.name,
                        visit);
          }
        });
    return stop;
  } else {
    return false;  // numbers, dates, times, codes of closed lists: no free text
  }
}

// Every string of `event` (a CaseEvent, possibly const): meta first, then the payload.
template <class Event, class Visit>
bool walk_event(Event& event, Visit visit) {
  return std::visit(
      [&](auto& e) {
        if (visit(e.meta.actor, std::string("meta.actor"))) return true;
        if (visit(e.meta.reason, std::string("meta.reason"))) return true;
        return walk(e, std::string(), visit);
      },
      event);
}

}  // namespace fangfan::text_walk
