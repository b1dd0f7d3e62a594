// A new SQLite database and its WAL are readable by the service user alone, whatever the umask
// the daemon was started with (they hold ID numbers and phones in clear).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "adapters/storage/database.h"
#include "adapters/storage/migrations.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777u;
}

class UmaskGuard {
 public:
  explicit UmaskGuard(mode_t m) : old_(::umask(m)) {}
  ~UmaskGuard() { ::umask(old_); }

 private:
  mode_t old_;
};

TEST(DatabaseFileMode, NewSqliteFilesAre0600UnderAPermissiveUmask) {
  const fs::path dir = fs::temp_directory_path() / ("fangfan-mode-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const fs::path db = dir / "state" / "fangfan.db";
  {
    UmaskGuard umask(0002);  // what `scripts/run` from a login shell may have: 0664 files
    Database database = Database::open("sqlite3://" + db.string());
    migrate(database, TimePoint{});  // writes: the -wal file exists while a session is open
    auto session = database.open_session();
    EXPECT_EQ(mode_of(db), 0600u);
    ASSERT_TRUE(fs::exists(db.string() + "-wal"));
    EXPECT_EQ(mode_of(db.string() + "-wal"), 0600u);
    EXPECT_EQ(mode_of(db.string() + "-shm"), 0600u);
  }
  fs::remove_all(dir);
}

TEST(DatabaseFileMode, AnExistingFileKeepsTheModeItsOwnerGaveIt) {
  const fs::path dir = fs::temp_directory_path() / ("fangfan-mode2-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path db = dir / "fangfan.db";
  { Database::open("sqlite3://" + db.string()); }
  fs::permissions(db, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  { Database::open("sqlite3://" + db.string()); }
  EXPECT_EQ(mode_of(db), 0640u);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace fangfan
