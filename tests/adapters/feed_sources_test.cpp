// Where department data comes from (adapters/feeds): the drop folder (which file, when it is
// complete, moving it aside) and the HTTP pull against a fake department interface on loopback
// (200, not yet, 5xx retried, timeout, token), and JSON bodies read as tables.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <fstream>

#include "adapters/feeds/drop_folder.h"
#include "adapters/feeds/http_pull.h"
#include "adapters/feeds/json_rows.h"
#include "tests/support/fake_providers.h"

namespace fangfan {
namespace {
namespace fs = std::filesystem;
namespace asio = boost::asio;

class TempDir {
 public:
  TempDir() {
    std::string t = (fs::temp_directory_path() / "fangfan-feeds-XXXXXX").string();
    path_ = ::mkdtemp(t.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

FeedSource folder_source(const fs::path& dir) {
  FeedSource s;
  s.name = "civil_affairs";
  s.department = "civil_affairs";
  s.folder = dir.string();
  s.file_pattern = "民政-{period}.*";
  s.settle_seconds = 30;
  return s;
}

TEST(FeedNameMatches, Wildcards) {
  struct Case {
    const char* pattern;
    const char* name;
    bool match;
  } cases[] = {
      {"民政-2025-05.*", "民政-2025-05.csv", true},
      {"民政-2025-05.*", "民政-2025-05.xlsx", true},
      {"民政-2025-05.*", "民政-2025-04.csv", false},
      {"*2025-05*", "medical-2025-05-final.csv", true},
      {"*2025-05*", "medical-2025-5.csv", false},
      {"data?.csv", "data1.csv", true},
      {"data?.csv", "data12.csv", false},
      {"*", "", true},
      {"a*b*c", "aXbYc", true},
      {"a*b*c", "aXbY", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(feed_name_matches(c.pattern, c.name), c.match) << c.pattern << " vs " << c.name;
  }
}

TEST(DropFolder, TakesTheCompleteFileOfThePeriodOnly) {
  TempDir dir;
  FeedSource s = folder_source(dir.path());
  const auto now = fs::file_time_type::clock::now();
  // Nothing yet.
  auto look = look_in_drop_folder(s, "2025-05", now);
  ASSERT_TRUE(std::holds_alternative<NotYet>(look));
  // Another period's file, a lock file and a copy in progress are not this period's data.
  write(dir.path() / "民政-2025-04.csv", "x");
  write(dir.path() / "~$民政-2025-05.xlsx", "x");
  write(dir.path() / "民政-2025-05.csv.part", "x");
  write(dir.path() / ".民政-2025-05.csv", "x");
  look = look_in_drop_folder(s, "2025-05", now + std::chrono::minutes(5));
  ASSERT_TRUE(std::holds_alternative<NotYet>(look));
  // The period's file, just written: not complete yet; complete once settled.
  write(dir.path() / "民政-2025-05.csv", "身份证号\n");
  look = look_in_drop_folder(s, "2025-05", fs::file_time_type::clock::now());
  ASSERT_TRUE(std::holds_alternative<NotYet>(look));
  EXPECT_NE(std::get<NotYet>(look).why.find("30 s"), std::string::npos);
  look = look_in_drop_folder(s, "2025-05",
                             fs::file_time_type::clock::now() + std::chrono::seconds(31));
  ASSERT_TRUE(std::holds_alternative<DropFile>(look));
  EXPECT_EQ(std::get<DropFile>(look).path.filename(), "民政-2025-05.csv");
}

TEST(DropFolder, OldestOfSeveralFirst) {
  TempDir dir;
  FeedSource s = folder_source(dir.path());
  write(dir.path() / "民政-2025-05.xlsx", "b");
  fs::last_write_time(dir.path() / "民政-2025-05.xlsx",
                      fs::file_time_type::clock::now() - std::chrono::hours(2));
  write(dir.path() / "民政-2025-05.csv", "a");
  fs::last_write_time(dir.path() / "民政-2025-05.csv",
                      fs::file_time_type::clock::now() - std::chrono::hours(1));
  auto look = look_in_drop_folder(s, "2025-05");
  ASSERT_TRUE(std::holds_alternative<DropFile>(look));
  EXPECT_EQ(std::get<DropFile>(look).path.filename(), "民政-2025-05.xlsx");
}

TEST(DropFolder, MissingFolderIsAnErrorNamingIt) {
  FeedSource s = folder_source("/nonexistent/fangfan-feeds");
  auto look = look_in_drop_folder(s, "2025-05");
  ASSERT_TRUE(std::holds_alternative<std::string>(look));
  EXPECT_NE(std::get<std::string>(look).find("/nonexistent/fangfan-feeds"), std::string::npos);
}

TEST(DropFolder, MovesTakenFileAsideUnderItsRunIdNeverDeleting) {
  TempDir dir;
  FeedSource s = folder_source(dir.path());
  write(dir.path() / "民政-2025-05.csv", "身份证号\n");
  auto moved = move_to_processed(s, dir.path() / "民政-2025-05.csv", 42);
  ASSERT_TRUE(std::holds_alternative<fs::path>(moved)) << std::get<std::string>(moved);
  EXPECT_EQ(std::get<fs::path>(moved), dir.path() / "processed" / "42-民政-2025-05.csv");
  EXPECT_FALSE(fs::exists(dir.path() / "民政-2025-05.csv"));
  std::ifstream in(std::get<fs::path>(moved));
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text, "身份证号\n");
  // Taken: the period has no file in the drop folder any more.
  EXPECT_TRUE(std::holds_alternative<NotYet>(look_in_drop_folder(s, "2025-05")));
}

TEST(JsonRows, ArrayOfObjectsAsATable) {
  auto t =
      read_json_rows(R"([{"身份证号":"110105194912310029","金额":1200.5,"低保":true},)"
                     R"({"身份证号":370102199001011234,"备注":null,"村编码":"379901001001"}, 7])");
  ASSERT_TRUE(std::holds_alternative<JsonTable>(t));
  const JsonTable& j = std::get<JsonTable>(t);
  ASSERT_EQ(j.header.size(), 5u);
  EXPECT_EQ(j.header[0], "身份证号");
  ASSERT_EQ(j.rows.size(), 3u);
  EXPECT_EQ(j.rows[0].first, 2);
  EXPECT_EQ(j.rows[0].second[1], "1200.5");
  EXPECT_EQ(j.rows[0].second[2], "是");
  EXPECT_EQ(j.rows[1].second[0], "370102199001011234");  // every digit of an integer
  EXPECT_EQ(j.rows[1].second[3], "");
  EXPECT_EQ(j.rows[2].first, 4);
  EXPECT_TRUE(std::holds_alternative<std::string>(read_json_rows("{}")));
  EXPECT_TRUE(std::holds_alternative<std::string>(read_json_rows("[1,")));
}

// The HTTP pull against the fake department interface.
class HttpPull : public ::testing::Test {
 protected:
  testing::FakeSecrets secrets() {
    testing::FakeSecrets s;
    s.department_token = "dept-token";
    return s;
  }
  testing::FakeProviders fake{secrets()};
  HttpClient client;
  asio::io_context io;
  FeedSource source() {
    FeedSource s;
    s.name = "medical_insurance";
    s.department = "medical_insurance";
    s.kind = FeedSourceKind::kHttp;
    s.url = fake.base_url() + "/dept/medical/export?month={period}&key=secret-in-query";
    s.token = "dept-token";
    s.attempts = 3;
    return s;
  }
  PullResult pull(const FeedSource& s,
                  std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    waits.clear();
    auto wait = [this](std::chrono::milliseconds d) -> asio::awaitable<void> {
      waits.push_back(d);
      co_return;
    };
    auto f =
        asio::co_spawn(io, pull_feed(client, s, "2025-05", wait, timeout, clock), asio::use_future);
    io.restart();
    io.run();
    return f.get();
  }
  std::vector<std::chrono::milliseconds> waits;
  SimulatedClock clock{std::chrono::sys_seconds(std::chrono::seconds(1746403200))};
};

TEST_F(HttpPull, PublishedPeriodComesBackWithTheToken) {
  fake.publish("/dept/medical/export?month=2025-05&key=secret-in-query", "身份证号,金额\n1,2\n");
  PullResult r = pull(source());
  ASSERT_TRUE(std::holds_alternative<PulledData>(r));
  EXPECT_EQ(std::get<PulledData>(r).body, "身份证号,金额\n1,2\n");
  EXPECT_EQ(std::get<PulledData>(r).url.find("secret-in-query"), std::string::npos);
  auto seen = fake.accepted("department");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].headers["authorization"], "Bearer dept-token");
}

TEST_F(HttpPull, UnpublishedPeriodIsNotYetWithoutRetrying) {
  PullResult r = pull(source());
  ASSERT_TRUE(std::holds_alternative<PullNotYet>(r));
  EXPECT_TRUE(waits.empty());
}

TEST_F(HttpPull, ServerErrorsAreRetriedThenAFailure) {
  fake.publish("/dept/medical/export?month=2025-05&key=secret-in-query", "[]");
  fake.script("department", testing::FakeAnswer::kServerError, 3);
  PullResult r = pull(source());
  ASSERT_TRUE(std::holds_alternative<PullFailed>(r));
  EXPECT_EQ(std::get<PullFailed>(r).attempts, 3);
  EXPECT_NE(std::get<PullFailed>(r).error.find("502"), std::string::npos);
  EXPECT_EQ(std::get<PullFailed>(r).error.find("secret-in-query"), std::string::npos);
  ASSERT_EQ(waits.size(), 2u);
  EXPECT_EQ(waits[0], std::chrono::milliseconds(1000));
  EXPECT_EQ(waits[1], std::chrono::milliseconds(2000));
  // A 502 then success: the data on the second attempt.
  fake.script("department", testing::FakeAnswer::kServerError, 1);
  r = pull(source());
  ASSERT_TRUE(std::holds_alternative<PulledData>(r));
  EXPECT_EQ(std::get<PulledData>(r).attempts, 2);
}

TEST_F(HttpPull, TimeoutIsRetriedThenAFailure) {
  fake.publish("/dept/medical/export?month=2025-05&key=secret-in-query", "[]");
  fake.set_delay(std::chrono::milliseconds(1500));
  fake.set_default("department", testing::FakeAnswer::kDelay);
  FeedSource s = source();
  s.attempts = 2;
  PullResult r = pull(s, std::chrono::milliseconds(300));
  ASSERT_TRUE(std::holds_alternative<PullFailed>(r));
  EXPECT_EQ(std::get<PullFailed>(r).attempts, 2);
}

TEST_F(HttpPull, WrongTokenFailsAtOnce) {
  fake.publish("/dept/medical/export?month=2025-05&key=secret-in-query", "[]");
  FeedSource s = source();
  s.token = "wrong";
  PullResult r = pull(s);
  ASSERT_TRUE(std::holds_alternative<PullFailed>(r));
  EXPECT_EQ(std::get<PullFailed>(r).attempts, 1);
  EXPECT_NE(std::get<PullFailed>(r).error.find("401"), std::string::npos);
  EXPECT_EQ(std::get<PullFailed>(r).error.find("wrong"), std::string::npos);
}

}  // namespace
}  // namespace fangfan
