// A department's drop folder (交换文件夹): files appear there (a shared folder, an SFTP target);
// fangfan takes the period's file once it is complete and, after its run is recorded, moves it
// to the processed folder under "<run id>-<name>". A file is never deleted, never taken twice
// from the drop folder (it is gone from there once taken), and never taken half-written.
//
// Which file: a regular file directly in FeedSource::folder whose name matches the source's
// file_pattern with {period} replaced ('*' = any run of characters, '?' = one character; UTF-8
// names compare byte for byte). Skipped: names beginning with '.' or "~$" (Excel's lock files)
// and ending in ".tmp", ".part", ".crdownload" (copies in progress). Several matching files:
// the oldest by modification time, then by name (the others wait for the next look).
//
// Complete: the file's size and modification time have not changed for settle_seconds, counted
// on the file system's own clock (the files' times are real times, also when the daemon runs on
// a simulated clock). A file that is still changing is "not yet".
//
// Thread-safety: plain functions doing blocking file-system work: call them off the loop thread.
// Errors: values (a folder that cannot be read is a sentence naming it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "workflows/feed_rules.h"

namespace fangfan {

// True when `name` matches `pattern` ('*' and '?' wildcards).
bool feed_name_matches(std::string_view pattern, std::string_view name);

// The source's file pattern for `period` ("民政-{period}.*" -> "民政-2025-05.*").
std::string feed_file_pattern(const FeedSource& source, std::string_view period);

struct DropFile {
  std::filesystem::path path;
  std::uintmax_t size = 0;
};
struct NotYet {
  std::string why;  // a sentence: nothing matches yet, or a match is still being written
};
using DropLook = std::variant<DropFile, NotYet, std::string /* error */>;

// Looks for the period's complete file.
DropLook look_in_drop_folder(
    const FeedSource& source, std::string_view period,
    std::filesystem::file_time_type fs_now = std::filesystem::file_time_type::clock::now());

// Moves a taken file to the processed folder (created when missing, mode 0750) as
// "<run_id>-<name>" ("<run_id>-2-<name>", ... when that exists: nothing is overwritten), by rename
// (the same file system) or by copy, fsync and remove (another one). Returns the new path, or a
// sentence when the move failed (the file then stays where it was; its run is recorded, and taking
// it again is refused as the same file, by its SHA-256).
std::variant<std::filesystem::path, std::string> move_to_processed(
    const FeedSource& source, const std::filesystem::path& file, std::int64_t run_id);

}  // namespace fangfan
