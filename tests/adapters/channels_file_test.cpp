// The file channel: one JSON line per message, written off the loop, resumed on the loop.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "adapters/channels/file_channel.h"
#include "tests/adapters/channels_test_util.h"

namespace fangfan {
namespace {

TEST(FileChannel, AppendsOneJsonLinePerMessageOffTheLoopThread) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("fangfan-file-channel-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  SimulatedClock clock(TimePoint{std::chrono::seconds(1'800'000'000)});
  FileChannel channel(dir / "out/messages.jsonl", clock);
  const auto loop_thread = std::this_thread::get_id();
  auto results = testing::run_coro([&]() -> boost::asio::awaitable<std::vector<DeliveryResult>> {
    std::vector<DeliveryResult> out;
    // (Messages built outside co_await: g++ 12 miscompiles string literals in braced
    // temporaries inside a co_await expression.)
    OutgoingMessage first{1, "张*@370102", "step_overdue", "逾期", {{"a", "b"}}};
    OutgoingMessage second{2, "李*@370102", "digest", "两条", {}};
    out.push_back(co_await channel.deliver(std::move(first)));
    EXPECT_EQ(std::this_thread::get_id(), loop_thread);  // resumed on the caller's executor
    out.push_back(co_await channel.deliver(std::move(second)));
    co_return out;
  }());
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].outcome, DeliveryResult::Outcome::kSent);
  EXPECT_EQ(results[0].provider_message_id, "file:0");
  std::ifstream in(dir / "out/messages.jsonl");
  std::string line;
  std::vector<boost::json::object> lines;
  std::vector<size_t> sizes;
  while (std::getline(in, line)) {
    lines.push_back(boost::json::parse(line).as_object());
    sizes.push_back(line.size() + 1);
  }
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["outbox_id"], 1);
  EXPECT_EQ(lines[0]["body"], "逾期");
  EXPECT_EQ(lines[0]["params"].as_object()["a"], "b");
  EXPECT_EQ(lines[1]["type"], "digest");
  // The second message's id is its offset: right after the first line.
  EXPECT_EQ(results[1].provider_message_id, "file:" + std::to_string(sizes[0]));

  // A folder that cannot be written is a temporary failure with the path named.
  FileChannel bad("/proc/fangfan-no/messages.jsonl", clock);
  DeliveryResult r = testing::run_coro(bad.deliver({3, "x", "t", "y", {}}));
  EXPECT_EQ(r.outcome, DeliveryResult::Outcome::kRetry);
  EXPECT_NE(r.error.find("/proc/fangfan-no"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace fangfan
