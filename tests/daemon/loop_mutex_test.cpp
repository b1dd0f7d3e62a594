// GCC 12.2 misreports Asio's coroutine frames as -Wmismatched-new-delete (GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

// LoopMutex (daemon/tasks/loop_mutex.h), the turn-taking of the scheduler's firing and advances and
// of the dispatcher's delivery passes: waiters in arrival order, cancellation while waiting, and a
// waiter cancelled just after unlock() chose it passing its turn on.
#include "daemon/tasks/loop_mutex.h"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <string>
#include <vector>

namespace fangfan {
namespace {

namespace asio = boost::asio;

// Takes the lock, notes `name`, keeps the lock (the test unlocks).
asio::awaitable<void> take(LoopMutex& m, std::vector<std::string>& order, std::string name) {
  try {
    co_await m.lock();
    order.push_back(name);
  } catch (const boost::system::system_error&) {
    order.push_back(name + " cancelled");
  }
}

TEST(LoopMutex, WaitersTakeTurnsInArrivalOrder) {
  asio::io_context io;
  LoopMutex m;
  std::vector<std::string> order;
  for (const char* name : {"a", "b", "c"}) {
    asio::co_spawn(io, take(m, order, name), asio::detached);
  }
  io.poll();
  EXPECT_EQ(order, (std::vector<std::string>{"a"}));
  EXPECT_TRUE(m.locked());
  m.unlock();
  io.poll();
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b"}));
  m.unlock();
  io.poll();
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c"}));
  m.unlock();
  EXPECT_FALSE(m.locked());
}

// a holds the lock; b (cancellable through stop_b) and c wait, in that order.
struct ThreeWaiters {
  asio::io_context io;
  LoopMutex m;
  std::vector<std::string> order;
  asio::cancellation_signal stop_b;
  ThreeWaiters() {
    asio::co_spawn(io, take(m, order, "a"), asio::detached);
    asio::co_spawn(io, take(m, order, "b"),
                   asio::bind_cancellation_slot(stop_b.slot(), asio::detached));
    asio::co_spawn(io, take(m, order, "c"), asio::detached);
    io.poll();
  }
};

TEST(LoopMutex, AWaiterCancelledWhileWaitingLeavesTheQueue) {
  ThreeWaiters w;
  auto& [io, m, order, stop_b] = w;
  stop_b.emit(asio::cancellation_type::terminal);
  io.poll();
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b cancelled"}));
  m.unlock();
  io.poll();
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b cancelled", "c"}));
}

TEST(LoopMutex, AWaiterCancelledAfterItWasChosenPassesItsTurnOn) {
  ThreeWaiters w;
  auto& [io, m, order, stop_b] = w;
  // co_spawn delivers a cancellation through the loop: emitted now, it reaches b after
  // unlock() below has chosen b and before b resumes.
  stop_b.emit(asio::cancellation_type::terminal);
  m.unlock();
  io.poll();
  // Without passing the turn on, c would wait for an unlock() that never comes.
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b cancelled", "c"}));
  EXPECT_TRUE(m.locked());
}

}  // namespace
}  // namespace fangfan
