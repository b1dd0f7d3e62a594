// Reading import files (adapters/import): CSV in UTF-8, UTF-8 with BOM and GBK, RFC 4180
// quoting, XLSX written here with libzip (shared and inline strings, numbers, date serials),
// the recognised headers of the two kinds, dates as clerks write them, and the bad-rows CSV.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>

#include "adapters/import/import_columns.h"
#include "adapters/import/import_store.h"
#include "adapters/import/import_table.h"
#include "adapters/import/importer.h"
#include "adapters/import/text_encoding.h"
#include "tests/support/import_files.h"
#include "workflows/date.h"

namespace fangfan {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::XlsxCell;

// A copy: callers bind it to a const reference, which extends the copy's life.
ImportTable table_of(const TableResult& r) {
  if (const auto* error = std::get_if<std::string>(&r)) {
    ADD_FAILURE() << "unreadable: " << *error;
    return {};
  }
  return std::get<ImportTable>(r);
}

std::string error_of(const TableResult& r) {
  if (const auto* error = std::get_if<std::string>(&r)) return *error;
  ADD_FAILURE() << "expected an error";
  return "";
}

const std::string kVisitCsv =
    "户编码,户主姓名,身份证号,走访日期,走访人,走访内容\r\n"
    "3799010010010001,张三,,2025-03-10,第一书记赵四,收入稳定\r\n"
    "3799010010010002,李四,,2025/3/11,第一书记赵四,\"看病花费大，已申请医疗救助\"\r\n";

TEST(ImportCsv, Utf8WithoutBom) {
  const ImportTable& t = table_of(read_import_table(kVisitCsv));
  EXPECT_EQ(t.format, "CSV UTF-8");
  EXPECT_THAT(t.header,
              ElementsAre("户编码", "户主姓名", "身份证号", "走访日期", "走访人", "走访内容"));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0].line, 2);
  EXPECT_EQ(t.rows[1].line, 3);
  EXPECT_EQ(t.rows[1].cells[5], "看病花费大，已申请医疗救助");
}

TEST(ImportCsv, Utf8WithBomDropsTheMark) {
  const ImportTable& t = table_of(read_import_table("\xEF\xBB\xBF" + kVisitCsv));
  EXPECT_EQ(t.format, "CSV UTF-8 (BOM)");
  EXPECT_EQ(t.header[0], "户编码");
  ASSERT_EQ(t.rows.size(), 2u);
}

TEST(ImportCsv, GbkIsDetectedAndConverted) {
  const std::string gbk = testing::to_gbk(kVisitCsv);
  ASSERT_FALSE(is_valid_utf8(gbk));
  const ImportTable& t = table_of(read_import_table(gbk));
  EXPECT_EQ(t.format, "CSV GBK");
  EXPECT_EQ(t.header[0], "户编码");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0].cells[1], "张三");
  EXPECT_EQ(t.rows[1].cells[5], "看病花费大，已申请医疗救助");
}

TEST(ImportCsv, QuotedFieldsWithCommasQuotesAndNewlinesKeepFileLines) {
  const std::string csv =
      "户编码,走访内容,走访日期\n"
      "A1,\"一,二\",2025-03-10\n"
      "A2,\"第一行\n第二行\r\n第三行\",2025-03-11\n"
      "\n"
      "A3,\"他说\"\"好\"\"\",2025-03-12\n"
      ",,\n"
      "A4,  spaced  ,2025-03-13";  // no final line end
  const ImportTable& t = table_of(read_import_table(csv));
  ASSERT_EQ(t.rows.size(), 4u);
  EXPECT_EQ(t.rows[0].line, 2);
  EXPECT_EQ(t.rows[0].cells[1], "一,二");
  EXPECT_EQ(t.rows[1].line, 3);
  EXPECT_EQ(t.rows[1].cells[1], "第一行\n第二行\r\n第三行");
  EXPECT_EQ(t.rows[1].cells[2], "2025-03-11");
  EXPECT_EQ(t.rows[2].line, 7);  // lines 3-5 are one record, line 6 is blank
  EXPECT_EQ(t.rows[2].cells[1], "他说\"好\"");
  EXPECT_EQ(t.rows[3].line, 9);  // line 8 is empty cells only
  EXPECT_EQ(t.rows[3].cells[1], "spaced");
}

TEST(ImportCsv, UnterminatedQuoteNamesItsLine) {
  EXPECT_THAT(error_of(read_import_table("户编码,走访内容\nA1,ok\nA2,\"never closed\n")),
              HasSubstr("第 3 行的引号没有闭合"));
}

TEST(ImportCsv, EmptyFileOrNoHeaderIsAnError) {
  EXPECT_THAT(error_of(read_import_table("")), HasSubstr("没有表头行"));
  EXPECT_THAT(error_of(read_import_table("\n\n , \n")), HasSubstr("没有表头行"));
}

TEST(ImportCsv, BytesThatAreNeitherUtf8NorGbkAreRefused) {
  EXPECT_THAT(error_of(read_import_table("户编码\n\x81\x20\xFF\n")),
              HasSubstr("既不是 UTF-8 也不是 GBK"));
}

TEST(ImportXlsx, FirstSheetSharedInlineNumbersAndDates) {
  // 45726 is 2025-03-10 in Excel's 1900 system; 45727.75 is 2025-03-11 18:00.
  const std::string xlsx = testing::make_xlsx({
      {XlsxCell::shared("户编码"), XlsxCell::shared("联系电话"), XlsxCell::shared("走访日期"),
       XlsxCell::inline_string("走访内容 & 备注")},
      {XlsxCell::shared("3799010010010001"), XlsxCell::number("13812345678"), XlsxCell::date(45726),
       XlsxCell::shared("收入稳定，家中无人生病")},
      {},  // an empty row 3: skipped, lines keep counting
      {XlsxCell::inline_string("3799010010010002"), XlsxCell::number("1.3812345679E10"),
       XlsxCell::date(45727.75), XlsxCell::empty(), XlsxCell::number("3.5")},
  });
  ASSERT_TRUE(looks_like_zip(xlsx));
  const ImportTable& t = table_of(read_import_table(xlsx));
  EXPECT_EQ(t.format, "XLSX");
  EXPECT_THAT(t.header, ElementsAre("户编码", "联系电话", "走访日期", "走访内容 & 备注"));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0].line, 2);
  EXPECT_THAT(t.rows[0].cells, ElementsAre("3799010010010001", "13812345678", "2025-03-10",
                                           "收入稳定，家中无人生病"));
  EXPECT_EQ(t.rows[1].line, 4);
  EXPECT_THAT(t.rows[1].cells,
              ElementsAre("3799010010010002", "13812345679", "2025-03-11", "", "3.5"));
}

TEST(ImportXlsx, Date1904SystemAndEarlySerials) {
  const ImportTable& t = table_of(read_import_table(testing::make_xlsx(
      {{XlsxCell::shared("d")}, {XlsxCell::date(0 + 44264)}}, /*date1904=*/true)));
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0].cells[0], "2025-03-10");  // 44264 days after 1904-01-01
  const ImportTable& early = table_of(read_import_table(testing::make_xlsx(
      {{XlsxCell::shared("d")}, {XlsxCell::date(1)}, {XlsxCell::date(59)}, {XlsxCell::date(61)}})));
  ASSERT_EQ(early.rows.size(), 3u);
  EXPECT_EQ(early.rows[0].cells[0], "1900-01-01");
  EXPECT_EQ(early.rows[1].cells[0], "1900-02-28");
  EXPECT_EQ(early.rows[2].cells[0], "1900-03-01");
}

TEST(ImportXlsx, BrokenArchiveIsAnError) {
  std::string xlsx = testing::make_text_xlsx({{"户编码"}, {"A1"}});
  EXPECT_THAT(error_of(read_import_table(xlsx.substr(0, xlsx.size() / 2))),
              HasSubstr("不是有效的 XLSX"));
  EXPECT_THAT(error_of(read_xlsx("PK\x03\x04 not really a zip")), HasSubstr("不是有效的 XLSX"));
}

TEST(ImportColumns, ChineseHeadersEnglishAliasesAndRequiredMarks) {
  auto mapped = map_columns(ImportKind::kVisits,
                            {"序号", "户编码*", "Visit_Date", "走访人", "走访情况", "身份证号码"});
  ASSERT_TRUE(std::holds_alternative<ColumnMap>(mapped)) << std::get<std::string>(mapped);
  const ColumnMap& m = std::get<ColumnMap>(mapped);
  const std::vector<std::string> cells = {"1", "H1", "2025-03-10", "赵四", "好", "X"};
  EXPECT_EQ(m.cell("household_code", cells), "H1");
  EXPECT_EQ(m.cell("visit_date", cells), "2025-03-10");
  EXPECT_EQ(m.cell("findings", cells), "好");
  EXPECT_EQ(m.cell("id_number", cells), "X");
  EXPECT_EQ(m.cell("head_name", cells), "");  // absent column
  EXPECT_EQ(m.header_of("household_code"), "户编码*");
  EXPECT_EQ(m.header_of("head_name"), "户主姓名");
}

TEST(ImportColumns, RefusalFieldsMapToTheirColumns) {
  struct Case {
    ImportKind kind;
    std::string_view field;
    std::optional<std::string_view> column;
  };
  const std::vector<Case> cases = {
      {ImportKind::kCases, "household.members[0].id_number", "id_number"},
      {ImportKind::kCases, "household.members[12].able_to_work", "able_to_work"},
      {ImportKind::kCases, "household.members[0].name", "head_name"},
      {ImportKind::kCases, "household.members[0].relation", "head_name"},  // nearest: members
      {ImportKind::kCases, "household.members", "head_name"},
      {ImportKind::kCases, "household.village_code", "village_code"},
      {ImportKind::kCases, "household.phone", "phone"},
      {ImportKind::kCases, "household.code", "household_code"},
      {ImportKind::kCases, "risk_causes[1]", "risk_causes"},
      {ImportKind::kCases, "emergency_reason", "emergency_reason"},
      {ImportKind::kCases, "kind", "kind"},
      {ImportKind::kCases, "source", "source"},
      {ImportKind::kCases, "date", std::nullopt},
      {ImportKind::kVisits, "date", "visit_date"},
      {ImportKind::kVisits, "officer", "officer"},
      {ImportKind::kVisits, "findings", "findings"},
      {ImportKind::kVisits, "household.village_code", std::nullopt},
      {ImportKind::kVisits, "", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(column_of_field(c.kind, c.field), c.column)
        << import_kind_name(c.kind) << " " << c.field;
  }
}

TEST(ImportColumns, MissingRequiredColumnsAndDuplicatesAreNamed) {
  auto missing = map_columns(ImportKind::kVisits, {"户编码", "走访人"});
  ASSERT_TRUE(std::holds_alternative<std::string>(missing));
  EXPECT_THAT(std::get<std::string>(missing), HasSubstr("缺少必需的列：走访日期、走访内容"));
  auto twice = map_columns(ImportKind::kCases, {"户编码", "户编号"});
  ASSERT_TRUE(std::holds_alternative<std::string>(twice));
  EXPECT_THAT(std::get<std::string>(twice), HasSubstr("是同一列"));
  EXPECT_EQ(parse_import_kind("visits"), ImportKind::kVisits);
  EXPECT_EQ(parse_import_kind("cases"), ImportKind::kCases);
  EXPECT_EQ(parse_import_kind("Visits"), std::nullopt);
}

TEST(ImportDates, FormatsClerksWrite) {
  const std::vector<std::pair<std::string, std::string>> good = {
      {"2025-03-10", "2025-03-10"}, {"2025/3/1", "2025-03-01"},
      {"2025.03.10", "2025-03-10"}, {"2025年3月10日", "2025-03-10"},
      {"20250310", "2025-03-10"},   {"2025-03-10 09:30:00", "2025-03-10"},
      {"2024-02-29", "2024-02-29"}, {" 2025-03-10 ", "2025-03-10"},
  };
  for (const auto& [text, iso] : good) {
    auto d = parse_import_date(text);
    ASSERT_TRUE(d.has_value()) << text;
    EXPECT_EQ(format_date(*d), iso) << text;
  }
  for (const char* bad : {"2025-02-30", "2025-13-01", "03/10/2025", "昨天", "", "2025-3", "45726",
                          "20250230", "2025-03-10x"}) {
    EXPECT_FALSE(parse_import_date(bad).has_value()) << bad;
  }
}

TEST(ImportBadRows, CsvHasBomLineColumnsFieldAndReasonAndReadsBack) {
  ImportRunRecord run;
  run.id = 7;
  run.header = R"(["户编码","走访日期","走访内容"])";
  ImportRowRecord row;
  row.line = 3;
  row.status = "bad";
  row.field = "走访日期";
  row.reason = "“2025-02-30”不是有效日期";
  row.raw = R"({"户编码":"H1","走访日期":"2025-02-30","走访内容":"说了\"好\"，\n换行"})";
  const std::string csv = bad_rows_csv(run, {row});
  EXPECT_EQ(csv.substr(0, 3), "\xEF\xBB\xBF");
  const ImportTable& t = table_of(read_import_table(csv));
  EXPECT_THAT(t.header,
              ElementsAre("行号", "户编码", "走访日期", "走访内容", "错误列", "错误原因"));
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_THAT(t.rows[0].cells, ElementsAre("3", "H1", "2025-02-30", "说了\"好\"，\n换行",
                                           "走访日期", "“2025-02-30”不是有效日期"));
  // Corrected and imported again, the extra columns are ignored.
  EXPECT_TRUE(std::holds_alternative<std::string>(map_columns(ImportKind::kVisits, t.header)))
      << "走访人 is missing from this header";
}

TEST(ImportHash, Sha256OfKnownText) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace fangfan
