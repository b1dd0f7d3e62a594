// The two kinds of import file and the column headers fangfan recognises in each.
//
// Headers are matched after trimming spaces and a trailing "*" (the national system marks
// required columns "户编码*"); English aliases match case-insensitively. Columns with any
// other header (序号, 乡镇, 所属村, 错误原因, ...) are ignored, so a whole export can be imported
// as it is, and so can the bad-rows CSV fangfan hands back after correction. A required
// column missing from the header makes the whole file unreadable (nothing is imported); a
// required column present but empty in a row makes that row bad.
//
// visits (走访记录): one visit per row, recorded on the household's case in progress as the
// record_visit event of the API (POST /api/v1/cases/{id}/events).
//   户编码 *      household_code   the national system's household code
//   走访日期 *    visit_date       YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYY年M月D日, YYYYMMDD
//                                  (a time after the date is ignored; XLSX date cells work)
//   走访人 *      officer          the assistance officer who visited (帮扶责任人)
//   走访内容 *    findings         what was found (走访情况)
//   户主姓名      head_name        when given, must be the household's head
//   身份证号      id_number        when given, must be valid and a member of the household
// Row key: visits|<户编码>|<走访日期>|<走访人>.
//
// cases (监测对象名单): one household per row, opened as a case like POST /api/v1/cases with
// the head as the household's only member (further members are added later with an
// update_household event).
//   户编码 *            household_code
//   村编码 *            village_code     a village of the configuration (12 digits)
//   户主姓名 *          head_name
//   身份证号 *          id_number        the head's, GB 11643 with a valid check character
//   联系电话 *          phone
//   监测对象类型 *      kind             a configured case kind, by code or name (脱贫不稳定户)
//   信息来源 *          source           code or label (农户自主申请, village_screening, ...)
//   风险类型            risk_causes      codes or labels (因病、因学), separated by 、，,;；
//   先帮扶后认定        emergency        是/否 (yes/no, 1/0)
//   先帮扶原因          emergency_reason
//   劳动能力            able_to_work     是/否, or 有劳动能力/无劳动能力 (default 否)
//   备注                reason
// Row key: cases|<户编码>.
//
// A row whose key was applied before is a duplicate when it says the same (differing_columns
// below), and a bad row naming the line it conflicts with when it does not: two rows for one
// household code with different heads or ID numbers never pass as a duplicate.
//
// Every recognised cell is text from outside like an API field: normalise_row_text() puts it
// in NFC (adapters/text/) and refuses control and invisible characters (workflows/
// text_rules.h); 走访内容, 备注 and 先帮扶原因 are free text and may hold line breaks.
//
// Thread-safety: constant tables and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "workflows/text_rules.h"

namespace fangfan {

enum class ImportKind { kVisits, kCases };

std::string_view import_kind_name(ImportKind kind);   // "visits", "cases"
std::string_view import_kind_label(ImportKind kind);  // "走访记录", "监测对象名单"
std::optional<ImportKind> parse_import_kind(std::string_view text);

struct ImportColumn {
  std::string_view key;                   // stable English name, also accepted as a header
  std::string_view header;                // the national system's Chinese header
  std::vector<std::string_view> aliases;  // further accepted headers
  bool required = false;
};

const std::vector<ImportColumn>& import_columns(ImportKind kind);

// Where each recognised column is in a file's header.
class ColumnMap {
 public:
  // The cell of `key` in `cells`, "" when the column is absent or the row is short.
  std::string_view cell(std::string_view key, const std::vector<std::string>& cells) const;
  // The header as the file spells it ("户编码*"), for messages; the Chinese header when absent.
  std::string header_of(std::string_view key) const;
  bool has(std::string_view key) const;
  // Where the column of `key` is in the header, or nullopt.
  std::optional<std::size_t> index_of(std::string_view key) const;

 private:
  friend std::variant<ColumnMap, std::string> map_columns(ImportKind,
                                                          const std::vector<std::string>&);
  struct Entry {
    std::string_view key;
    std::string_view canonical;
    std::size_t index;
    std::string spelled;
  };
  std::vector<Entry> entries_;
};

// Recognises the header. The error (a required column missing, or one column given twice)
// is a sentence naming the columns.
std::variant<ColumnMap, std::string> map_columns(ImportKind kind,
                                                 const std::vector<std::string>& header);

// The column a refusal of the case rules is about, from the event field it names
// (Refusal::field: "household.members[0].id_number" -> "id_number", "date" -> "visit_date");
// nullopt when `field` is empty or no column holds it (the caller then falls back).
std::optional<std::string_view> column_of_field(ImportKind kind, std::string_view field);

// Free text (findings, remarks, emergency reasons: line breaks allowed) or single-line.
TextShape column_shape(std::string_view key);

// A recognised cell refused by the text rules: its column key and what is wrong.
struct CellFault {
  std::string_view column;
  TextFault fault;
};

// Normalises every recognised cell of `cells` in place (NFC; CR LF to LF in free text) and
// returns the first that holds a refused character, in the order of import_columns(kind).
std::optional<CellFault> normalize_row_text(ImportKind kind, const ColumnMap& columns,
                                            std::vector<std::string>& cells);

// The columns (keys) whose content differs between two rows with the same row key, each read
// through its own file's header: for visits 走访内容, 户主姓名 and 身份证号; for cases the
// household's 村编码, 户主姓名 and 身份证号 (a case row repeating a household with another kind
// or other causes is a repeat of what was applied). ID numbers compare normalised, every cell in
// NFC; a cell empty in either row is not compared. Empty: the rows say the same, and the later
// one is a duplicate.
std::vector<std::string_view> differing_columns(ImportKind kind, const ColumnMap& a_columns,
                                                const std::vector<std::string>& a_cells,
                                                const ColumnMap& b_columns,
                                                const std::vector<std::string>& b_cells);

// differing_columns() against an earlier row stored as its raw JSON (header -> cell, as
// import_rows keeps it); empty when that cannot be read.
std::vector<std::string_view> differing_columns(ImportKind kind, const ColumnMap& columns,
                                                const std::vector<std::string>& cells,
                                                const std::string& earlier_raw);

// The reason of a row in conflict: "与本文件第 3 行的记录相同但户主姓名、身份证号不一致，…" naming
// the columns by `columns`' headers and the earlier row by its line, and by its run when that
// was another import (`run`). Never quotes a cell.
std::string conflict_reason(const ColumnMap& columns, const std::vector<std::string_view>& differ,
                            std::optional<std::int64_t> run, std::int64_t line);

}  // namespace fangfan
