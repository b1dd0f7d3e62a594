#include "daemon/ctl/ctl_storage.h"

#include <filesystem>
#include <iomanip>
#include <optional>
#include <string>

#include "adapters/storage/database.h"
#include "adapters/storage/storage_copy.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;

constexpr const char* kUsageText =
    "用法 (usage):\n"
    "  fangfanctl storage copy --from FILE|sqlite3://PATH --to postgresql://USER:PASSWORD@HOST/DB\n"
    "      [--progress-every ROWS]\n"
    "      copy a stopped daemon's SQLite file into an empty PostgreSQL database; a line on\n"
    "      stderr each ROWS rows of a table (default 100000)\n";

// Rows of a table between two progress lines when not given: a line every few seconds.
constexpr long long kProgressEvery = 100000;

int usage(std::ostream& err, const std::string& problem) {
  if (!problem.empty()) err << "fangfanctl storage: " << problem << "\n";
  err << kUsageText;
  return kUsage;
}

int run_copy(const std::vector<std::string>& args, const Clock& clock, std::ostream& out,
             std::ostream& err) {
  std::optional<std::string> from, to;
  long long every = kProgressEvery;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if ((a == "--from" || a == "--to") && i + 1 < args.size()) {
      (a == "--from" ? from : to) = args[++i];
    } else if (a == "--progress-every" && i + 1 < args.size()) {
      const std::string& n = args[++i];
      std::size_t used = 0;
      try {
        every = std::stoll(n, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != n.size() || every < 1) {
        return usage(err, "--progress-every 要一个正整数，不是 \"" + n +
                              "\" (--progress-every needs a positive number, not \"" + n + "\")");
      }
    } else if (a == "--from" || a == "--to" || a == "--progress-every") {
      return usage(err, a + " 后面缺少值 (" + a + " needs a value)");
    } else {
      return usage(err, "不认识的参数 " + a + " (unknown argument " + a + ")");
    }
  }
  if (!from || !to) return usage(err, "需要 --from 和 --to (--from and --to are needed)");
  constexpr std::string_view kSqlite = "sqlite3://";
  fs::path file =
      from->rfind(kSqlite, 0) == 0 ? fs::path(from->substr(kSqlite.size())) : fs::path(*from);
  if (file.empty()) return usage(err, "--from 缺少文件 (--from names no file)");
  file = fs::absolute(file).lexically_normal();
  if (to->rfind("postgresql://", 0) != 0) {
    return usage(err, "--to 必须是 postgresql:// 网址 (--to must be a postgresql:// URL)");
  }
  err << "从 (from) " << file.string() << "\n到 (to) " << mask_url_password(*to) << "\n";
  try {
    StorageCopyOptions options;
    options.now = clock.now();
    // A line when a table passes each multiple of `every` rows, and at its end when it had
    // passed one: a large county's copy takes minutes, small tables stay quiet.
    long long next_line = every;
    options.on_rows = [&](const std::string& table, long long written, long long total) {
      if (written < next_line && !(written == total && total >= every)) return;
      err << "  " << table << ": " << written << " / " << total << " 行 (rows)\n" << std::flush;
      next_line = written == total ? every : (written / every + 1) * every;
    };
    const StorageCopyResult result = copy_sqlite_to_postgresql(file, *to, options);
    if (!result.refused.empty()) {
      err << "fangfanctl storage copy: " << result.refused << "\n";
      return kFailed;
    }
    out << "已复制，数据库结构版本 " << result.schema_version << " (copied, schema version "
        << result.schema_version << ")\n";
    out << std::left << std::setw(28) << "表 (table)" << std::right << std::setw(12) << "SQLite"
        << std::setw(12) << "PostgreSQL"
        << "\n";
    long long total = 0;
    for (const TableCopied& t : result.tables) {
      out << std::left << std::setw(28) << t.table << std::right << std::setw(12) << t.source_rows
          << std::setw(12) << t.target_rows << "\n";
      total += t.target_rows;
    }
    out << result.tables.size() << " 个表，共 " << total << " 行，两边行数一致 ("
        << result.tables.size() << " tables, " << total
        << " rows, the same counts on both sides)\n";
    return kOk;
  } catch (const StorageError& e) {
    err << "fangfanctl storage copy: " << e.what() << "\n";
    return kFailed;
  }
}

}  // namespace

int run_storage_command(const std::vector<std::string>& args, const Clock& clock, std::ostream& out,
                        std::ostream& err) {
  if (args.empty()) return usage(err, "");
  if (args[0] == "copy") return run_copy(args, clock, out, err);
  return usage(err, "不认识的子命令 " + args[0] + " (unknown subcommand " + args[0] + ")");
}

}  // namespace fangfan
