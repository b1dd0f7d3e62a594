// The CSV stream (table_stream.h): chunks of the file are decoded to UTF-8 and appended to a
// text buffer; records are parsed from the buffer. A record that runs past the buffer's end is
// parsed again from its start once the next chunk is in, so the parser keeps no state between
// records except the line count. The parsed part of the buffer is dropped before each refill.
#include <errno.h>
#include <iconv.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/import/table_stream_parts.h"
#include "adapters/import/text_encoding.h"

namespace fangfan {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// Bytes that stop an unquoted field's scan.
constexpr std::array<bool, 256> kStop = [] {
  std::array<bool, 256> t{};
  t[static_cast<unsigned char>(',')] = true;
  t[static_cast<unsigned char>('\n')] = true;
  t[static_cast<unsigned char>('\r')] = true;
  t[static_cast<unsigned char>('"')] = true;
  return t;
}();

std::string at_line(std::int64_t line) { return std::to_string(line); }

class CsvStream final : public TableStream {
 public:
  CsvStream(std::unique_ptr<ByteSource> source, const TableStreamOptions& options)
      : source_(std::move(source)), options_(options) {}
  ~CsvStream() override {
    if (iconv_ != reinterpret_cast<iconv_t>(-1)) iconv_close(iconv_);
  }

  // Reads up to the header; the sentence when the file has none or is bad before it.
  std::optional<std::string> start() {
    TableRow first;
    if (!next(first)) {
      if (error_) return error_;
      return std::string("文件是空的，没有表头行 (the file is empty: there is no header row)");
    }
    header_ = std::move(first.cells);
    return std::nullopt;
  }

  bool next(TableRow& row) override {
    if (error_) return false;
    for (;;) {
      switch (parse_record(row)) {
        case Parsed::kRow:
          return true;
        case Parsed::kBlank:
          continue;
        case Parsed::kEnd:
        case Parsed::kError:
          return false;
        case Parsed::kNeedMore:
          if (text_.size() - pos_ > options_.max_record_bytes) {
            const std::string line = at_line(line_);
            const std::string mib = std::to_string(options_.max_record_bytes >> 20);
            error_ = "第 " + line + " 行开始的一条记录超过 " + mib +
                     " MiB 仍未结束，引号可能没有闭合 (the record starting on line " + line +
                     " runs over " + mib + " MiB; a quote may never be closed)";
            return false;
          }
          if (pending_) {
            error_ = std::move(pending_);
            return false;
          }
          if (!fill()) eof_ = true;
          continue;
      }
    }
  }

 private:
  enum class Parsed { kRow, kBlank, kNeedMore, kEnd, kError };
  enum class Encoding { kUnknown, kUtf8, kUtf8Bom, kGbk };

  // Appends the next chunk's text to text_; false at the end of the file. A problem found in
  // the chunk is kept in pending_ (the text before it is appended): the rows before it are
  // handed out first.
  bool fill() {
    if (source_done_ || pending_) return false;
    if (pos_ > 0) {
      text_.erase(0, pos_);
      pos_ = 0;
    }
    // raw_[0, carry_) holds bytes of a character cut off by the previous chunk.
    std::size_t have = carry_;
    const std::size_t want = carry_ + std::max<std::size_t>(options_.chunk_bytes, 1);
    if (raw_.size() < want) raw_.resize(want);
    bool at_end = false;
    while (have < want) {
      auto got = source_->read(raw_.data() + have, want - have);
      if (!got) {
        pending_ = std::string("读取文件失败 (reading the file failed)");
        return true;
      }
      if (*got == 0) {
        at_end = true;
        break;
      }
      have += *got;
    }
    const std::size_t before = text_.size();
    decode(std::string_view(raw_.data(), have), at_end);
    expanded_ += text_.size() - before;
    if (expanded_ > options_.max_expanded_bytes) {
      text_.resize(before);  // the rows before the chunk are handed out, none of it
      pending_ =
          expanded_limit_message(options_.max_expanded_bytes, "第 " + at_line(line_) + " 行附近",
                                 "near line " + at_line(line_));
      return true;
    }
    if (pending_) return true;
    if (at_end) source_done_ = true;
    return text_.size() > before || !at_end;
  }

  // Decodes `bytes` (carry included) into text_, keeping a cut-off character in raw_'s front.
  bool decode(std::string_view bytes, bool at_end) {
    if (encoding_ == Encoding::kUnknown) {
      if (bytes.size() < kBom.size() && !at_end && kBom.substr(0, bytes.size()) == bytes) {
        return keep(bytes, 0);  // too short to tell yet
      }
      if (bytes.substr(0, kBom.size()) == kBom) {
        encoding_ = Encoding::kUtf8Bom;
        format_ = "CSV UTF-8 (BOM)";
        bytes.remove_prefix(kBom.size());
        offset_ += kBom.size();
      } else {
        const Utf8Scan scan = scan_utf8(bytes);
        const bool utf8 = !scan.invalid && (!at_end || scan.valid_end == bytes.size());
        encoding_ = utf8 ? Encoding::kUtf8 : Encoding::kGbk;
        format_ = utf8 ? "CSV UTF-8" : "CSV GBK";
        if (!utf8 && !open_iconv()) return false;
      }
    }
    if (encoding_ == Encoding::kGbk) return decode_gbk(bytes, at_end);

    const Utf8Scan scan = scan_utf8(bytes);
    if (scan.invalid || (at_end && scan.valid_end < bytes.size())) {
      if (encoding_ == Encoding::kUtf8 && !seen_non_ascii_ && !scan.non_ascii) {
        // Everything so far was ASCII, which GBK shares: the file is GBK after all.
        encoding_ = Encoding::kGbk;
        format_ = "CSV GBK";
        if (!open_iconv()) return false;
        return decode_gbk(bytes, at_end);
      }
      const std::string at = std::to_string(offset_ + scan.valid_end);
      text_.append(bytes.data(), scan.valid_end);  // the text before the bad byte is read
      if (encoding_ == Encoding::kUtf8Bom) {
        pending_ = "文件以 UTF-8 标记开头，但第 " + at +
                   " 字节起不是有效的 UTF-8 文本 (the file starts with a UTF-8 byte order mark but "
                   "is not valid UTF-8 from byte " +
                   at + " on)";
      } else {
        pending_ = "文件前面是 UTF-8 文本，但第 " + at +
                   " 字节起不是有效的 UTF-8，请另存为“CSV UTF-8”后重新导入 (the file is UTF-8 text "
                   "but not from byte " +
                   at + " on; save it as \"CSV UTF-8\" and import it again)";
      }
      return false;
    }
    seen_non_ascii_ = seen_non_ascii_ || scan.non_ascii;
    text_.append(bytes.data(), scan.valid_end);
    return keep(bytes, scan.valid_end);
  }

  bool decode_gbk(std::string_view bytes, bool at_end) {
    char* in = const_cast<char*>(bytes.data());
    std::size_t in_left = bytes.size();
    const std::size_t start = text_.size();
    std::size_t used = start;
    text_.resize(start + bytes.size() * 2 +
                 16);  // GBK's 2 bytes become at most 3 (4 for GB18030's 4)
    for (;;) {
      char* out = text_.data() + used;
      std::size_t out_left = text_.size() - used;
      const std::size_t r = iconv(iconv_, &in, &in_left, &out, &out_left);
      used = text_.size() - out_left;
      if (r != static_cast<std::size_t>(-1)) break;
      if (errno == E2BIG) {
        text_.resize(text_.size() * 2);
        continue;
      }
      if (errno == EINVAL && !at_end) break;  // a character cut off by the chunk's end
      text_.resize(used);
      const std::string at = std::to_string(offset_ + (bytes.size() - in_left));
      pending_ = "文件第 " + at +
                 " 字节起既不是 UTF-8 也不是 GBK 编码的文本，请另存为“CSV UTF-8”后重新导入 (the "
                 "file is neither UTF-8 nor GBK text from byte " +
                 at + " on; save it as \"CSV UTF-8\" and import it again)";
      return false;
    }
    text_.resize(used);
    return keep(bytes, bytes.size() - in_left);
  }

  bool open_iconv() {
    iconv_ = iconv_open("UTF-8", "GB18030");
    if (iconv_ != reinterpret_cast<iconv_t>(-1)) return true;
    pending_ = std::string("无法转换 GBK 编码 (GBK conversion is not available)");
    return false;
  }

  // Keeps bytes[from..] (a cut-off character) at the front of raw_ for the next chunk.
  bool keep(std::string_view bytes, std::size_t from) {
    carry_ = bytes.size() - from;
    offset_ += from;
    std::memmove(raw_.data(), bytes.data() + from, carry_);
    return true;
  }

  // Parses one record from text_[pos_..] into `row`.
  Parsed parse_record(TableRow& row) {
    const char* const begin = text_.data();
    const char* const end = begin + text_.size();
    const char* p = begin + pos_;
    if (p == end) {
      return eof_ ? Parsed::kEnd : Parsed::kNeedMore;
    }
    std::int64_t lines = 0;  // line ends inside quoted fields
    std::size_t n = 0;
    bool blank = true;
    for (;;) {
      if (n == row.cells.size()) row.cells.emplace_back();
      std::string& cell = row.cells[n++];
      const char* field = p;
      bool quoted = false;
      for (;;) {
        while (p < end && !kStop[static_cast<unsigned char>(*p)]) ++p;
        if (p < end && *p == '"') {
          if (trim_view(std::string_view(field, p - field)).empty()) {
            quoted = true;
            break;
          }
          ++p;  // a quote inside an unquoted field is text
          continue;
        }
        break;
      }
      if (quoted) {
        const std::int64_t quote_line = line_ + lines;
        cell.clear();
        ++p;
        for (;;) {
          const char* q = static_cast<const char*>(std::memchr(p, '"', end - p));
          if (q == nullptr) {
            if (!eof_) return Parsed::kNeedMore;
            const std::string at = at_line(quote_line);
            error_ = "第 " + at + " 行的引号没有闭合，文件可能被截断 (the quote opened on line " +
                     at + " is never closed; the file may be cut short)";
            return Parsed::kError;
          }
          lines += std::count(p, q, '\n');
          cell.append(p, q);
          if (q + 1 == end && !eof_) return Parsed::kNeedMore;
          if (q + 1 < end && q[1] == '"') {
            cell += '"';
            p = q + 2;
            continue;
          }
          p = q + 1;
          break;
        }
        // Text after the closing quote ("abc"x): kept, as spreadsheet programs do, unless blank.
        while (p < end && *p != ',' && *p != '\n' && *p != '\r') {
          if (*p != ' ' && *p != '\t') cell += *p;
          ++p;
        }
        const std::string_view t = trim_view(cell);
        if (t.size() != cell.size()) cell = std::string(t);
      } else {
        cell.assign(trim_view(std::string_view(field, p - field)));
      }
      blank = blank && cell.empty();
      if (p == end) {
        if (!eof_) return Parsed::kNeedMore;
        return finish(row, n, blank, p, lines);  // the last record, without a line end
      }
      if (*p == ',') {
        ++p;
        continue;
      }
      if (*p == '\r') {
        if (p + 1 == end && !eof_) return Parsed::kNeedMore;
        if (p + 1 < end && p[1] == '\n') ++p;
      }
      ++p;
      return finish(row, n, blank, p, lines + 1);
    }
  }

  Parsed finish(TableRow& row, std::size_t cells, bool blank, const char* p, std::int64_t lines) {
    row.line = line_;
    line_ += lines;
    pos_ = static_cast<std::size_t>(p - text_.data());
    if (blank) return Parsed::kBlank;
    row.cells.resize(cells);
    return Parsed::kRow;
  }

  std::unique_ptr<ByteSource> source_;
  TableStreamOptions options_;
  std::string raw_;  // the chunk being decoded; its front holds a carried-over partial character
  std::size_t carry_ = 0;
  std::uint64_t offset_ = 0;  // file bytes decoded so far (where raw_'s front lies in the file)
  std::string text_;          // decoded text; text_[0, pos_) is parsed
  std::size_t pos_ = 0;
  std::int64_t line_ = 1;               // the physical line where the next record starts
  std::optional<std::string> pending_;  // the problem after the text decoded so far
  bool source_done_ = false;
  bool eof_ = false;
  bool seen_non_ascii_ = false;
  Encoding encoding_ = Encoding::kUnknown;
  iconv_t iconv_ = reinterpret_cast<iconv_t>(-1);
};

}  // namespace

TableStreamResult open_csv_stream(std::unique_ptr<ByteSource> source,
                                  const TableStreamOptions& options) {
  auto stream = std::make_unique<CsvStream>(std::move(source), options);
  if (auto problem = stream->start()) return *std::move(problem);
  return std::unique_ptr<TableStream>(std::move(stream));
}

}  // namespace fangfan
