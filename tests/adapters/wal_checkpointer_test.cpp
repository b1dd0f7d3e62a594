// SQLite's WAL checkpoints run on a thread of their own, not in the commit that fills the WAL
// (adapters/storage/wal_checkpointer.h), and the WAL stays bounded all the same.
#include "adapters/storage/wal_checkpointer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "adapters/storage/database.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
using storage_detail::kBackgroundPages;
using storage_detail::kCommitPathPages;
using storage_detail::kFinishOnCommitPages;
using storage_detail::wal_checkpoint_counts;

class WalCheckpointer : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fangfan-wal-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    file_ = (dir_ / "fangfan.db").string();
    db_.emplace(Database::open("sqlite3://" + file_));
    writer_ = db_->open_session();
    *writer_ << "PRAGMA page_size", soci::into(page_size_);
    *writer_ << "CREATE TABLE filler (b BLOB)";
  }
  void TearDown() override {
    writer_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  // One transaction of about `pages` pages of new rows.
  void write_pages(int pages) {
    *writer_ << "INSERT INTO filler VALUES (randomblob(" + std::to_string(pages * page_size_) +
                    "))";
  }
  long long wal_frames() const {
    const std::string wal = file_ + "-wal";
    if (!fs::exists(wal)) return 0;
    return static_cast<long long>(fs::file_size(wal)) / (page_size_ + 24);  // page + header
  }
  // Waits up to 20 s for the file's background checkpoints to reach `n`.
  bool background_reaches(std::int64_t n) const {
    for (int i = 0; i < 2000; ++i) {
      if (wal_checkpoint_counts(file_).background >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  fs::path dir_;
  std::string file_;
  std::optional<Database> db_;
  std::unique_ptr<soci::session> writer_;
  int page_size_ = 0;
};

TEST_F(WalCheckpointer, TheCommitThatFillsTheWalLeavesTheCopyToTheThread) {
  write_pages(kBackgroundPages / 2);
  EXPECT_EQ(wal_checkpoint_counts(file_).background, 0) << "below the bound nothing is copied";
  write_pages(kBackgroundPages / 2 + 50);  // past the bound: this commit asks
  ASSERT_TRUE(background_reaches(1));
  EXPECT_EQ(wal_checkpoint_counts(file_).on_commit_path, 0);
  const long long after_first_round = wal_frames();
  EXPECT_GE(after_first_round, kBackgroundPages);
  // Wholly copied, the WAL starts again from its beginning: the file does not grow.
  write_pages(kBackgroundPages / 4);
  EXPECT_EQ(wal_frames(), after_first_round);
  long long rows = 0;
  *writer_ << "SELECT count(*) FROM filler", soci::into(rows);
  EXPECT_EQ(rows, 3);
}

TEST_F(WalCheckpointer, TheWalStaysAboutItsBoundUnderAStreamOfCommits) {
  // 40 MiB in 2 MiB transactions: an unchecked WAL would be 40 MiB long.
  for (int i = 0; i < 20; ++i) write_pages(512);
  EXPECT_TRUE(background_reaches(1));
  EXPECT_LE(wal_frames(), kCommitPathPages + 2 * 520);
  EXPECT_LT(wal_frames(), 20 * 512);
}

TEST_F(WalCheckpointer, ACommitCheckpointsItselfWhenTheThreadCannotKeepTheBound) {
  // A reader holding an old snapshot keeps the WAL from starting again, so it grows past the
  // background bound until a commit finds it past kCommitPathPages and copies it itself.
  auto reader = db_->open_session();
  long long rows = 0;
  *reader << "BEGIN";
  *reader << "SELECT count(*) FROM filler", soci::into(rows);
  const int transactions = kCommitPathPages / 512 + 2;
  for (int i = 0; i < transactions; ++i) write_pages(512);
  EXPECT_GE(wal_checkpoint_counts(file_).on_commit_path, 1);
  *reader << "COMMIT";
  reader.reset();
  // Once the reader is gone, the next commit (the WAL still past the commit path's bound)
  // copies everything, the WAL starts again from its beginning, and the thread takes over.
  write_pages(10);
  const std::int64_t before = wal_checkpoint_counts(file_).background;
  write_pages(kBackgroundPages + 10);
  ASSERT_TRUE(background_reaches(before + 1));
  const long long length = wal_frames();
  write_pages(100);
  EXPECT_EQ(wal_frames(), length);
}

// A round leaves over what was committed while it ran (here: what a reader's snapshot keeps it
// from copying, which stands for those commits). Another round would leave the next commits over
// in turn; the next commit copies the remainder itself, and the WAL starts again.
TEST_F(WalCheckpointer, ACommitFinishesTheSmallRemainderOfTheThreadsRound) {
  write_pages(kBackgroundPages - 100);
  auto reader = db_->open_session();
  long long rows = 0;
  *reader << "BEGIN";
  *reader << "SELECT count(*) FROM filler", soci::into(rows);  // a snapshot of ~900 pages
  write_pages(110);                                            // past the bound: asks the thread
  ASSERT_TRUE(background_reaches(1));
  *reader << "COMMIT";
  reader.reset();
  write_pages(10);  // finds ~120 pages left over (< kFinishOnCommitPages) and copies them
  EXPECT_EQ(wal_checkpoint_counts(file_).finished_on_commit, 1);
  EXPECT_EQ(wal_checkpoint_counts(file_).background, 1) << "no second round for the remainder";
  const long long length = wal_frames();
  EXPECT_LT(length, kBackgroundPages + kFinishOnCommitPages);
  write_pages(10);  // the WAL was wholly copied: this transaction starts it again
  EXPECT_EQ(wal_frames(), length);
  EXPECT_EQ(wal_checkpoint_counts(file_).restarts, 1);
  *writer_ << "SELECT count(*) FROM filler", soci::into(rows);
  EXPECT_EQ(rows, 4);
}

// A commit's finishing copy that a reader keeps from copying everything is not tried again by
// every later commit of that cycle (each try syncs the WAL and the file): the thread goes on.
TEST_F(WalCheckpointer, AFinishingCopyThatFallsShortLeavesTheCycleToTheThread) {
  write_pages(kBackgroundPages - 100);
  auto reader = db_->open_session();
  long long rows = 0;
  *reader << "BEGIN";
  *reader << "SELECT count(*) FROM filler", soci::into(rows);
  write_pages(110);
  ASSERT_TRUE(background_reaches(1));
  write_pages(10);  // the reader still holds its snapshot: this copy falls short
  EXPECT_EQ(wal_checkpoint_counts(file_).finished_on_commit, 1);
  write_pages(10);
  write_pages(10);
  EXPECT_EQ(wal_checkpoint_counts(file_).finished_on_commit, 1) << "tried once per cycle";
  EXPECT_TRUE(background_reaches(2)) << "the later commits asked the thread";
  *reader << "COMMIT";
}

TEST_F(WalCheckpointer, ClosingTheLastSessionStopsTheThreadAndRemovesTheWal) {
  write_pages(kBackgroundPages + 10);
  ASSERT_TRUE(background_reaches(1));
  auto second = db_->open_session();  // a second session of the file shares the checkpointer
  writer_.reset();
  EXPECT_GE(wal_checkpoint_counts(file_).background, 1) << "still held by the second session";
  second.reset();
  db_.reset();
  EXPECT_EQ(wal_checkpoint_counts(file_).background, 0);
  EXPECT_FALSE(fs::exists(file_ + "-wal"));
  // Everything written is in the database file.
  const Database again = Database::open("sqlite3://" + file_);
  auto s = again.open_session();
  long long rows = 0;
  *s << "SELECT count(*) FROM filler", soci::into(rows);
  EXPECT_EQ(rows, 1);
}

}  // namespace
}  // namespace fangfan
