// The outbox side of a simulated-clock advance (Scheduler::advance_to), as an interface so the
// scheduler does not depend on the dispatcher. Thread-safety: the loop thread only.
#pragma once

#include <boost/asio/awaitable.hpp>

namespace fangfan {

// What advance_to() needs of the outbox dispatcher (OutboxDispatcher implements it), so that
// messages leave at the simulated instant they are due during a long advance instead of all at
// its end: quiet hours end, a digest window closes, a retry falls due.
class AdvanceDelivery {
 public:
  virtual ~AdvanceDelivery() = default;
  // Waits for a delivery pass in progress; none starts on its own until resume().
  virtual boost::asio::awaitable<void> pause() = 0;
  // One pass over what is due at the clock's now, while paused. Throws StorageError.
  virtual boost::asio::awaitable<void> deliver_due() = 0;
  virtual void resume() = 0;
};

}  // namespace fangfan
