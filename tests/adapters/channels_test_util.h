// Runs a coroutine to completion on a fresh io_context, for the channel tests.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace fangfan::testing {

template <class T>
T run_coro(boost::asio::awaitable<T> coro) {
  boost::asio::io_context io;
  auto f = boost::asio::co_spawn(io, std::move(coro), boost::asio::use_future);
  io.run();
  return f.get();
}

}  // namespace fangfan::testing
