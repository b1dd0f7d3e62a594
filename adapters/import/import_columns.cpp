#include "adapters/import/import_columns.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cctype>

#include "adapters/import/import_table.h"
#include "adapters/text/text_normal.h"
#include "workflows/id_number.h"

namespace fangfan {
namespace {

std::string normalize_header(std::string_view text) {
  std::string t = trim_cell(text);
  while (!t.empty() && t.back() == '*') t.pop_back();
  if (t.size() >= 3 && t.substr(t.size() - 3) == "\xEF\xBC\x8A") t.resize(t.size() - 3);  // ＊
  t = trim_cell(t);
  for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return t;
}

bool matches(const ImportColumn& column, const std::string& normalized) {
  if (normalized == column.key || normalized == column.header) return true;
  for (auto alias : column.aliases) {
    if (normalized == normalize_header(alias)) return true;
  }
  return false;
}

}  // namespace

std::string_view import_kind_name(ImportKind kind) {
  return kind == ImportKind::kVisits ? "visits" : "cases";
}

std::string_view import_kind_label(ImportKind kind) {
  return kind == ImportKind::kVisits ? "走访记录" : "监测对象名单";
}

std::optional<ImportKind> parse_import_kind(std::string_view text) {
  if (text == "visits") return ImportKind::kVisits;
  if (text == "cases") return ImportKind::kCases;
  return std::nullopt;
}

const std::vector<ImportColumn>& import_columns(ImportKind kind) {
  static const std::vector<ImportColumn> kVisits = {
      {"household_code", "户编码", {"户编号", "household code"}, true},
      {"visit_date", "走访日期", {"走访时间", "帮扶日期", "date", "visit date"}, true},
      {"officer", "走访人", {"帮扶责任人", "走访干部", "visitor"}, true},
      {"findings", "走访内容", {"走访情况", "帮扶内容", "content"}, true},
      {"head_name", "户主姓名", {"户主", "head name"}, false},
      {"id_number", "身份证号", {"身份证号码", "证件号码", "户主身份证号", "id number"}, false},
  };
  static const std::vector<ImportColumn> kCases = {
      {"household_code", "户编码", {"户编号", "household code"}, true},
      {"village_code", "村编码", {"行政村编码", "村代码", "行政区划代码", "village code"}, true},
      {"head_name", "户主姓名", {"户主", "head name"}, true},
      {"id_number", "身份证号", {"身份证号码", "证件号码", "户主身份证号", "id number"}, true},
      {"phone", "联系电话", {"电话", "手机号", "手机号码", "phone number"}, true},
      {"kind", "监测对象类型", {"监测对象类别", "类型", "case kind"}, true},
      {"source", "信息来源", {"发现方式", "识别方式"}, true},
      {"risk_causes",
       "风险类型",
       {"返贫致贫风险", "致贫返贫风险", "风险类别", "risk causes"},
       false},
      {"emergency", "先帮扶后认定", {"是否先帮扶后认定", "是否突发"}, false},
      {"emergency_reason", "先帮扶原因", {"emergency reason"}, false},
      {"able_to_work", "劳动能力", {"是否有劳动能力", "able to work"}, false},
      {"reason", "备注", {"说明", "note"}, false},
  };
  return kind == ImportKind::kVisits ? kVisits : kCases;
}

std::optional<std::string_view> column_of_field(ImportKind kind, std::string_view field) {
  // Field paths without their indices; a path not listed is looked up by its parent
  // ("household.members" for "household.members.relation"), so the nearest column answers.
  struct Entry {
    std::string_view path;
    std::string_view column;
  };
  static const std::vector<Entry> kVisits = {
      {"date", "visit_date"},
      {"officer", "officer"},
      {"findings", "findings"},
  };
  static const std::vector<Entry> kCases = {
      {"household.code", "household_code"},
      {"household.village_code", "village_code"},
      {"household.phone", "phone"},
      {"household.members.id_number", "id_number"},
      {"household.members.able_to_work", "able_to_work"},
      {"household.members.name", "head_name"},
      {"household.members", "head_name"},
      {"household", "household_code"},
      {"kind", "kind"},
      {"source", "source"},
      {"risk_causes", "risk_causes"},
      {"emergency", "emergency"},
      {"emergency_reason", "emergency_reason"},
      {"reason", "reason"},
  };
  std::string path;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '[') {
      i = field.find(']', i);
      if (i == std::string_view::npos) break;
    } else {
      path += field[i];
    }
  }
  std::string_view p = path;
  while (!p.empty()) {
    for (const Entry& e : kind == ImportKind::kVisits ? kVisits : kCases) {
      if (e.path == p) return e.column;
    }
    const auto dot = p.rfind('.');
    if (dot == std::string_view::npos) break;
    p = p.substr(0, dot);
  }
  return std::nullopt;
}

std::string_view ColumnMap::cell(std::string_view key,
                                 const std::vector<std::string>& cells) const {
  for (const auto& e : entries_) {
    if (e.key == key) return e.index < cells.size() ? std::string_view(cells[e.index]) : "";
  }
  return "";
}

std::string ColumnMap::header_of(std::string_view key) const {
  for (const auto& e : entries_) {
    if (e.key == key) return e.spelled;
  }
  for (auto kind : {ImportKind::kVisits, ImportKind::kCases}) {
    for (const auto& c : import_columns(kind)) {
      if (c.key == key) return std::string(c.header);
    }
  }
  return std::string(key);
}

std::optional<std::size_t> ColumnMap::index_of(std::string_view key) const {
  for (const auto& e : entries_) {
    if (e.key == key) return e.index;
  }
  return std::nullopt;
}

TextShape column_shape(std::string_view key) {
  return key == "findings" || key == "reason" || key == "emergency_reason" ? TextShape::kFreeText
                                                                           : TextShape::kLine;
}

std::optional<CellFault> normalize_row_text(ImportKind kind, const ColumnMap& columns,
                                            std::vector<std::string>& cells) {
  std::optional<CellFault> first;
  for (const auto& column : import_columns(kind)) {
    const auto at = columns.index_of(column.key);
    if (!at || *at >= cells.size()) continue;
    const TextShape shape = column_shape(column.key);
    cells[*at] = normalize_text(cells[*at], shape);
    if (auto fault = text_fault(cells[*at], shape); fault && !first) {
      first = CellFault{column.key, *fault};
    }
  }
  return first;
}

std::vector<std::string_view> differing_columns(ImportKind kind, const ColumnMap& a_columns,
                                                const std::vector<std::string>& a_cells,
                                                const ColumnMap& b_columns,
                                                const std::vector<std::string>& b_cells) {
  // What says who the row is about or what it records, beyond its row key: a visit's findings
  // and the named head; a case row's household (its village, head and head's ID number). Other
  // cells of a case row (kind, causes) are what was applied already: a repeat, not a conflict.
  static const std::vector<std::string_view> kVisits = {"findings", "head_name", "id_number"};
  static const std::vector<std::string_view> kCases = {"village_code", "head_name", "id_number"};
  const auto content = [](std::string_view key, std::string_view cell) {
    const std::string text = normalize_text(trim_cell(cell), column_shape(key));
    return key == "id_number" ? normalize_id_number(text) : text;
  };
  std::vector<std::string_view> out;
  for (std::string_view key : kind == ImportKind::kVisits ? kVisits : kCases) {
    // A cell left empty (a visit's optional head or ID number) says nothing to disagree with.
    const std::string a = content(key, a_columns.cell(key, a_cells));
    const std::string b = content(key, b_columns.cell(key, b_cells));
    if (!a.empty() && !b.empty() && a != b) out.push_back(key);
  }
  return out;
}

std::vector<std::string_view> differing_columns(ImportKind kind, const ColumnMap& columns,
                                                const std::vector<std::string>& cells,
                                                const std::string& earlier_raw) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(earlier_raw, ec);
  const boost::json::object* o = ec ? nullptr : v.if_object();
  if (o == nullptr) return {};
  std::vector<std::string> header, earlier;
  for (const auto& kv : *o) {
    header.emplace_back(kv.key());
    earlier.emplace_back(kv.value().is_string() ? kv.value().get_string().c_str() : "");
  }
  auto mapped = map_columns(kind, header);
  const auto* theirs = std::get_if<ColumnMap>(&mapped);
  if (theirs == nullptr) return {};
  return differing_columns(kind, columns, cells, *theirs, earlier);
}

std::string conflict_reason(const ColumnMap& columns, const std::vector<std::string_view>& differ,
                            std::optional<std::int64_t> run, std::int64_t line) {
  std::string zh, en;
  for (std::string_view key : differ) {
    zh += (zh.empty() ? "" : "、") + columns.header_of(key);
    en += (en.empty() ? "" : ", ") + std::string(key);
  }
  const std::string l = std::to_string(line);
  const std::string at_zh =
      run ? "导入 " + std::to_string(*run) + " 第 " + l + " 行" : "本文件第 " + l + " 行";
  const std::string at_en =
      run ? "line " + l + " of import " + std::to_string(*run) : "line " + l + " of this file";
  return "与" + at_zh + "的记录相同但" + zh + "不一致，未导入，请核对后更正 (conflicts with " +
         at_en + ": same key, different " + en + "; not applied)";
}

bool ColumnMap::has(std::string_view key) const {
  for (const auto& e : entries_) {
    if (e.key == key) return true;
  }
  return false;
}

std::variant<ColumnMap, std::string> map_columns(ImportKind kind,
                                                 const std::vector<std::string>& header) {
  ColumnMap map;
  for (std::size_t i = 0; i < header.size(); ++i) {
    const std::string normalized = normalize_header(header[i]);
    for (const auto& column : import_columns(kind)) {
      if (!matches(column, normalized)) continue;
      for (const auto& e : map.entries_) {
        if (e.key == column.key) {
          return "表头中“" + e.spelled + "”和“" + header[i] + "”是同一列（" +
                 std::string(column.header) + "），请删去其中一列 (the header has the column " +
                 std::string(column.key) + " twice)";
        }
      }
      map.entries_.push_back({column.key, column.header, i, header[i]});
    }
  }
  std::string missing_zh, missing_en;
  for (const auto& column : import_columns(kind)) {
    if (!column.required || map.has(column.key)) continue;
    missing_zh += (missing_zh.empty() ? "" : "、") + std::string(column.header);
    missing_en += (missing_en.empty() ? "" : ", ") + std::string(column.key);
  }
  if (!missing_zh.empty()) {
    return std::string(import_kind_label(kind)) + "文件的表头缺少必需的列：" + missing_zh +
           " (the header of this " + std::string(import_kind_name(kind)) +
           " file lacks the required columns: " + missing_en + ")";
  }
  return map;
}

}  // namespace fangfan
