// A generated one-sheet XLSX for the benches that read workbooks (feed_ingest, import_bench),
// written as Excel writes one: text cells as shared strings, dates as serial numbers with the
// date style s="1". The sheet and the strings go through files under a folder, so memory stays
// flat however many rows; finish() zips them into the workbook and removes them.
// Throws std::runtime_error when a file cannot be written.
#pragma once

#include <zip.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <list>
#include <stdexcept>
#include <string>

namespace fangfan::bench {

class XlsxFile {
 public:
  // Starts the sheet with the header row (row 1, columns A, B, ... as shared strings).
  XlsxFile(const std::filesystem::path& dir, std::initializer_list<const char*> header)
      : sheet_file_(dir / "sheet.xml"), sst_file_(dir / "sst.xml") {
    sheet_ = std::fopen(sheet_file_.c_str(), "wb");
    sst_ = std::fopen(sst_file_.c_str(), "wb");
    if (sheet_ == nullptr || sst_ == nullptr)
      throw std::runtime_error("cannot write in " + dir.string());
    std::fputs(R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)"
               R"(<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">)",
               sst_);
    std::fputs(R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)"
               R"(<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">)"
               R"(<sheetData><row r="1">)",
               sheet_);
    char column = 'A';
    for (const char* name : header) {
      std::fprintf(sheet_, "<c r=\"%c1\" t=\"s\"><v>%d</v></c>", column++, add_string(name));
    }
    std::fputs("</row>", sheet_);
  }
  XlsxFile(const XlsxFile&) = delete;
  XlsxFile& operator=(const XlsxFile&) = delete;
  ~XlsxFile() {
    if (sheet_ != nullptr) std::fclose(sheet_);
    if (sst_ != nullptr) std::fclose(sst_);
  }

  // Adds a shared string (no XML escaping: the benches' texts need none); its index.
  int add_string(const std::string& s) {
    std::fprintf(sst_, "<si><t>%s</t></si>", s.c_str());
    return strings_++;
  }
  // How many shared strings there are: the index the next one gets.
  int strings() const { return strings_; }
  // Where the data rows are written, each a whole <row> element, after the header.
  std::FILE* sheet() { return sheet_; }

  // Closes the sheet and writes the workbook `file` with it as its one sheet `sheet_name`.
  void finish(const std::filesystem::path& file, const char* sheet_name) {
    std::fputs("</sheetData></worksheet>", sheet_);
    std::fputs("</sst>", sst_);
    std::fclose(sheet_);
    std::fclose(sst_);
    sheet_ = sst_ = nullptr;
    int error = 0;
    zip_t* z = zip_open(file.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
    if (z == nullptr) throw std::runtime_error("zip_open " + file.string());
    const std::string workbook =
        R"(<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name=")" +
        std::string(sheet_name) + R"(" sheetId="1" r:id="rId1"/></sheets></workbook>)";
    add_text(
        z, "[Content_Types].xml",
        R"(<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>)");
    add_text(z, "xl/workbook.xml", workbook);
    add_text(
        z, "xl/_rels/workbook.xml.rels",
        R"(<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>)");
    add_text(
        z, "xl/styles.xml",
        R"(<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>)");
    add_file(z, "xl/sharedStrings.xml", sst_file_);
    add_file(z, "xl/worksheets/sheet1.xml", sheet_file_);
    // zip_close reads the texts and files: they live until here.
    if (zip_close(z) != 0) throw std::runtime_error("zip_close " + file.string());
    texts_.clear();
    std::filesystem::remove(sheet_file_);
    std::filesystem::remove(sst_file_);
  }

 private:
  void add_text(zip_t* z, const char* name, std::string text) {
    texts_.push_back(std::move(text));
    const std::string& kept = texts_.back();
    zip_source_t* src = zip_source_buffer(z, kept.data(), kept.size(), 0);
    if (zip_file_add(z, name, src, ZIP_FL_ENC_UTF_8) < 0) throw std::runtime_error(name);
  }
  static void add_file(zip_t* z, const char* name, const std::filesystem::path& from) {
    zip_source_t* src = zip_source_file(z, from.c_str(), 0, 0);
    if (zip_file_add(z, name, src, ZIP_FL_ENC_UTF_8) < 0) throw std::runtime_error(name);
  }

  std::filesystem::path sheet_file_, sst_file_;
  std::FILE* sheet_ = nullptr;
  std::FILE* sst_ = nullptr;
  int strings_ = 0;
  std::list<std::string> texts_;  // stable addresses for zip_source_buffer
};

}  // namespace fangfan::bench
