// The files of a department list (行业部门名单), as the departments open them in Excel:
//   - XLSX (libxlsxwriter, constant-memory mode: rows stream to disk, memory stays flat):
//     sheet "封面" (county, department, list, period, generated at, households, persons, rows by
//     category, changes, the SHA-256 of the data), sheet "名单" (Chinese headers, a frozen header
//     row, autofilter, column widths; every cell a text cell, so an ID number keeps its 18
//     characters and a code its leading zeros), sheet "变化" (类型, 户编号, 姓名, 说明).
//   - CSV for Excel: UTF-8 with a BOM, CRLF, every cell quoted when it holds a comma, quote or
//     line break; an ID number or code written as ="..." is NOT used (plain text: Excel keeps
//     text in a CSV opened with the BOM only as far as it can; the XLSX is the official file).
//   - an AES-256 zip (libzip) of those files with a password.
// Every file is written under a temporary name in its folder, fsynced and renamed, so a reader
// never sees half a file; mode 0640.
// Errors: ListFileError naming the path and what failed. Thread-safety: functions on values;
// run them off the event loop (they write files).
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "workflows/lists.h"

namespace fangfan {

class ListFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ListDocument {
  std::string county_name;
  std::string department_name;
  std::string list_name;
  std::string period;        // "2026-12-01"
  std::string generated_at;  // "2026-12-01 08:00" China time
  const ListContent* content = nullptr;
  const std::vector<ListChange>* changes = nullptr;
  std::string previous_period;  // the list the changes are against ("" = the first list)
  std::string data_sha256;      // list_data_sha256(*content)
};

// SHA-256 (lowercase hex) of the list's data: the CSV body (header and rows, no BOM), so a
// department can check the CSV it was sent against the cover sheet.
std::string list_data_sha256(const ListContent& content);

// Writes the workbook. Column headers come from list_columns().
void write_list_xlsx(const std::filesystem::path& path, const ListDocument& document);
// Writes the CSV (header and rows).
void write_list_csv(const std::filesystem::path& path, const ListContent& content);
// Writes a zip holding `files` (by their file names), each AES-256 encrypted with `password`.
void write_encrypted_zip(const std::filesystem::path& path,
                         const std::vector<std::filesystem::path>& files,
                         const std::string& password);
// A random password of `length` letters and digits without look-alikes (no 0/O, 1/l/I).
std::string make_list_password(int length = 12);

struct FileDigest {
  std::string sha256;  // lowercase hex
  std::uint64_t size = 0;
};
FileDigest file_digest(const std::filesystem::path& path);

// Writes `bytes` to `path` through a temporary file in the same folder, fsync, rename, mode
// 0640 (the folder is created when missing). Shared by the list writers and the drop-folder
// delivery.
void write_file_atomically(const std::filesystem::path& path, const std::string& bytes);
// Copies `from` to `to` the same way.
void copy_file_atomically(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace fangfan
