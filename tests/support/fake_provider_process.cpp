#include "tests/support/fake_provider_process.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <regex>
#include <thread>

namespace fangfan::testing {

namespace fs = std::filesystem;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

FakeProviderProcess::FakeProviderProcess(const fs::path& program, const fs::path& dir,
                                         const fs::path& log, std::vector<std::string> extra_args,
                                         unsigned short port)
    : process_((fs::create_directories(dir), dir)) {
  std::vector<std::string> args = {"--log", log.string(), "--port", std::to_string(port)};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  process_.start(program, args);
  static const std::regex listening("listening ([0-9]+)");
  const auto until = std::chrono::steady_clock::now() + 10s;
  std::smatch m;
  for (std::string out; std::chrono::steady_clock::now() < until;
       std::this_thread::sleep_for(10ms)) {
    out = process_.log();
    if (std::regex_search(out, m, listening)) {
      port_ = static_cast<unsigned short>(std::stoi(m[1]));
      return;
    }
  }
  ADD_FAILURE() << "fangfan_fake_provider did not start: " << process_.log();
}

void FakeProviderProcess::set_answer(const std::string& provider, const std::string& answer) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
  ASSERT_FALSE(ec) << "fake provider: " << ec.message();
  http::request<http::string_body> req{
      http::verb::post, "/__fake/answer?provider=" + provider + "&answer=" + answer, 11};
  req.set(http::field::host, "127.0.0.1");
  req.prepare_payload();
  http::write(socket, req, ec);
  ASSERT_FALSE(ec) << "fake provider: " << ec.message();
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(socket, buffer, res, ec);
  ASSERT_FALSE(ec) << "fake provider: " << ec.message();
  ASSERT_EQ(res.result_int(), 200u) << res.body();
}

void FakeProviderProcess::stop() {
  if (!process_.running()) return;
  process_.signal(SIGTERM);
  EXPECT_EQ(process_.wait_exit(10s), 0) << process_.log();
}

}  // namespace fangfan::testing
