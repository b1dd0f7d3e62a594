// The feed side of a simulated-clock advance (Scheduler::advance_to), as an interface so the
// scheduler does not depend on the feed runner: at each stop, after the due timers fired, the
// periods whose data is due are looked for, so that a file dropped before the 5th is taken at
// the 5th's scheduled hour and a missing one starts its ladder at that instant.
// Thread-safety: the loop thread only.
#pragma once

#include <boost/asio/awaitable.hpp>

namespace fangfan {

class AdvanceIntake {
 public:
  virtual ~AdvanceIntake() = default;
  // Looks for every period due at the clock's now (as the runner's own loop does); returns how
  // many timers that scheduled (a missing period's ladder), which the stop then fires.
  virtual boost::asio::awaitable<int> look_due() = 0;
};

}  // namespace fangfan
