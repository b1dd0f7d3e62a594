// Reading import files (adapters/import): CSV in UTF-8, UTF-8 with BOM and GBK, RFC 4180
// quoting, XLSX written here with libzip (shared and inline strings, numbers, date serials),
// the recognised headers of the two kinds, dates as clerks write them, and the bad-rows CSV.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zip.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "adapters/import/import_columns.h"
#include "adapters/import/import_store.h"
#include "adapters/import/import_table.h"
#include "adapters/import/importer.h"
#include "adapters/import/table_stream.h"
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

// -- streaming (table_stream.h)

struct Streamed {
  std::string format;
  std::vector<std::string> header;
  std::vector<TableRow> rows;
  std::string error;  // at open or mid-way
};

Streamed stream_all(TableStreamResult opened) {
  Streamed out;
  if (auto* problem = std::get_if<std::string>(&opened)) {
    out.error = *problem;
    return out;
  }
  TableStream& stream = *std::get<std::unique_ptr<TableStream>>(opened);
  out.header = stream.header();
  TableRow row;
  while (stream.next(row)) out.rows.push_back(row);
  if (stream.error()) out.error = *stream.error();
  out.format = stream.format();
  return out;
}

Streamed stream_bytes(const std::string& bytes, std::size_t chunk,
                      std::uint64_t limit = 512ull << 20) {
  TableStreamOptions options;
  options.chunk_bytes = chunk;
  options.max_expanded_bytes = limit;
  return stream_all(open_table_bytes(bytes, options));
}

std::filesystem::path temp_file(const std::string& name) {
  return std::filesystem::temp_directory_path() /
         ("fangfan-stream-" + std::to_string(::getpid()) + "-" + name);
}

// A workbook of the given parts, written with libzip (deflated).
std::string zip_of(const std::vector<std::pair<std::string, std::string>>& parts) {
  const auto file = temp_file("parts.xlsx");
  int error = 0;
  zip_t* z = zip_open(file.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  EXPECT_NE(z, nullptr);
  for (const auto& [name, content] : parts) {
    zip_source_t* src = zip_source_buffer(z, content.data(), content.size(), 0);
    EXPECT_GE(zip_file_add(z, name.c_str(), src, ZIP_FL_ENC_UTF_8), 0);
  }
  EXPECT_EQ(zip_close(z), 0);
  std::ifstream in(file, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  std::filesystem::remove(file);
  return bytes.str();
}

// A one-sheet workbook of inline-string cells: `sheet_data` is the <sheetData> content.
std::string inline_xlsx(const std::string& sheet_data) {
  return zip_of({
      {"xl/workbook.xml",
       R"(<workbook xmlns:r="r"><sheets><sheet name="a" sheetId="1" r:id="rId1"/></sheets></workbook>)"},
      {"xl/worksheets/sheet1.xml",
       "<worksheet><sheetData>" + sheet_data + "</sheetData></worksheet>"},
  });
}

std::string inline_row(std::int64_t r, const std::vector<std::string>& cells) {
  std::string out = "<row r=\"" + std::to_string(r) + "\">";
  for (const auto& c : cells) out += "<c t=\"inlineStr\"><is><t>" + c + "</t></is></c>";
  return out + "</row>";
}

void expect_same(const Streamed& s, const ImportTable& t, const std::string& what) {
  EXPECT_EQ(s.error, "") << what;
  EXPECT_EQ(s.format, t.format) << what;
  EXPECT_EQ(s.header, t.header) << what;
  ASSERT_EQ(s.rows.size(), t.rows.size()) << what;
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    EXPECT_EQ(s.rows[i].line, t.rows[i].line) << what << " row " << i;
    EXPECT_EQ(s.rows[i].cells, t.rows[i].cells) << what << " row " << i;
  }
}

TEST(TableStream, RowsEqualTheWholeTableWhateverTheChunkSize) {
  const std::string quoted =
      "户编码,走访内容,走访日期\n"
      "A1,\"一,二\",2025-03-10\n"
      "A2,\"第一行\n第二行\r\n第三行\",2025-03-11\r\n"
      "\n"
      "A3,\"他说\"\"好\"\"\"x ,\u3000 2025-03-12\u3000\r"
      ",,\n"
      "A4,  spaced  ,2025-03-13";
  // A GBK file whose first chunks are ASCII: read as UTF-8 first, then re-decided as GBK.
  const std::string ascii_then_gbk =
      testing::to_gbk("id,name\n1,a\n2,b\n3,c\n4,张三\n5,\"李四，王五\"\n");
  struct Case {
    std::string name;
    std::string bytes;
  };
  const std::vector<Case> cases = {
      {"utf-8", kVisitCsv},
      {"bom", "\xEF\xBB\xBF" + kVisitCsv},
      {"gbk", testing::to_gbk(kVisitCsv)},
      {"quoted", quoted},
      {"gbk quoted", testing::to_gbk(quoted)},
      {"ascii then gbk", ascii_then_gbk},
      {"xlsx", testing::make_xlsx({{XlsxCell::shared("户编码"), XlsxCell::shared("日期")},
                                   {XlsxCell::shared(" A1 "), XlsxCell::date(45726)},
                                   {},
                                   {XlsxCell::inline_string("A2"), XlsxCell::number("3.5")}})},
  };
  for (const Case& c : cases) {
    const ImportTable& whole = table_of(read_import_table(c.bytes));
    ASSERT_FALSE(whole.rows.empty()) << c.name;
    // 1 to 7 bytes split every multi-byte character and every CRLF somewhere.
    for (std::size_t chunk : {1, 2, 3, 4, 5, 7, 64, 1 << 20}) {
      expect_same(stream_bytes(c.bytes, chunk), whole, c.name + " chunk " + std::to_string(chunk));
    }
  }
  EXPECT_EQ(stream_bytes(ascii_then_gbk, 4).rows.at(4).cells.at(1), "李四，王五");
}

TEST(TableStream, OpensFilesFromDisk) {
  const std::vector<std::pair<std::string, std::string>> files = {
      {"gbk.csv", testing::to_gbk(kVisitCsv)},
      {"visits.xlsx", testing::make_text_xlsx({{"户编码", "走访内容"}, {"A1", "好"}})},
  };
  for (const auto& [name, bytes] : files) {
    const auto path = temp_file(name);
    std::ofstream(path, std::ios::binary) << bytes;
    expect_same(stream_all(open_table_file(path.string())), table_of(read_import_table(bytes)),
                name);
    std::filesystem::remove(path);
  }
  EXPECT_THAT(std::get<std::string>(open_table_file(temp_file("absent.csv").string())),
              HasSubstr("无法打开文件"));
}

TEST(TableStream, RowBuffersAreReusedOnceWarm) {
  std::string csv = "身份证号,姓名\n";
  for (int i = 0; i < 50; ++i)
    csv += "110101199003070012" + std::to_string(i % 10) + ",名字很长的一个人\n";
  auto opened = open_table_bytes(csv, {});
  TableStream& stream = *std::get<std::unique_ptr<TableStream>>(opened);
  TableRow row;
  ASSERT_TRUE(stream.next(row));
  const char* id = row.cells[0].data();
  const char* name = row.cells[1].data();
  while (stream.next(row)) {
    EXPECT_EQ(row.cells[0].data(), id);
    EXPECT_EQ(row.cells[1].data(), name);
  }
  EXPECT_FALSE(stream.error());
}

TEST(TableStream, LinesAreSixtyFourBit) {
  const std::int64_t far = 5'000'000'000;  // beyond a 32-bit int
  const Streamed s =
      stream_bytes(inline_xlsx(inline_row(1, {"户编码"}) + inline_row(far, {"A1"}) +
                               "<row><c t=\"inlineStr\"><is><t>A2</t></is></c></row>"),
                   1 << 20);
  EXPECT_EQ(s.error, "");
  ASSERT_EQ(s.rows.size(), 2u);
  EXPECT_EQ(s.rows[0].line, far);
  EXPECT_EQ(s.rows[1].line, far + 1);  // a row without r follows the one before
}

TEST(TableStream, ErrorsMidFileNameTheirLineAfterTheGoodRows) {
  struct Case {
    std::string name;
    std::string bytes;
    std::size_t chunk;
    std::uint64_t limit;
    std::size_t good_rows;  // handed out before the error
    std::string error;
  };
  std::string long_csv = "户编码,走访内容\n";
  for (int i = 0; i < 1000; ++i) long_csv += "A" + std::to_string(i) + ",收入稳定\n";
  const std::string utf8 = "户编码,走访内容\nA1,好\nA2,好\n";
  const std::vector<Case> cases = {
      {"unterminated quote", "户编码,走访内容\nA1,ok\nA2,\"never closed\nA3,x\n", 4, 1 << 20, 1,
       "第 3 行的引号没有闭合"},
      {"utf-8 turns bad", utf8 + "A3,\xFF\xFE\n", 8, 1 << 20, 2,
       "第 " + std::to_string(utf8.size() + 3) + " 字节起不是有效的 UTF-8"},
      {"bom turns bad", "\xEF\xBB\xBF" + utf8 + "\xC3\x28\n", 8, 1 << 20, 2,
       "第 " + std::to_string(utf8.size() + 3) + " 字节起不是有效的 UTF-8"},
      {"gbk turns bad", testing::to_gbk(utf8) + "A3,\x81\x20\n", 8, 1 << 20, 2,
       "字节起既不是 UTF-8 也不是 GBK"},
      {"csv over the limit", long_csv, 1024, 8192, 100, "的上限（第 "},
  };
  for (const Case& c : cases) {
    const Streamed s = stream_bytes(c.bytes, c.chunk, c.limit);
    EXPECT_THAT(s.error, HasSubstr(c.error)) << c.name;
    if (c.name == "csv over the limit") {
      EXPECT_GT(s.rows.size(), c.good_rows) << c.name;
      EXPECT_LT(s.rows.size(), 1000u) << c.name;
    } else {
      EXPECT_EQ(s.rows.size(), c.good_rows) << c.name;
    }
  }
  EXPECT_THAT(error_of(read_import_table("户编码\n\x81\x20\xFF\n")),
              HasSubstr("字节起既不是 UTF-8 也不是 GBK"));
}

TEST(TableStream, XlsxBombIsRefusedWithoutExpandingIt) {
  std::string rows = inline_row(1, {"户编码"});
  for (int r = 2; r < 40000; ++r) rows += inline_row(r, {"A", "B", "C"});
  const std::string bomb = inline_xlsx(rows);
  ASSERT_LT(bomb.size(), 1u << 20);  // expands to about 5 MiB
  const Streamed refused = stream_bytes(bomb, 1 << 16, 1 << 20);
  EXPECT_THAT(refused.error, HasSubstr("文件展开后超过 1 MiB 的上限"));
  EXPECT_TRUE(refused.rows.empty());
  const Streamed read = stream_bytes(bomb, 1 << 16, 64 << 20);
  EXPECT_EQ(read.error, "");
  EXPECT_EQ(read.rows.size(), 39998u);
  EXPECT_GT(read.rows.size(), 0u);
}

TEST(TableStream, XlsxSheetXmlEntitiesCdataCommentsAndPrefixesAtAnyChunkSize) {
  const std::string sheet =
      "<?xml version=\"1.0\"?><!-- 导出 --><x:row r=\"1\"><x:c t=\"inlineStr\"><x:is><x:t>户编码"
      "</x:t></x:is></x:c><c t='inlineStr'><is><t>走访内容</t></is></c></x:row>"
      "<row r=\"2\" spans=\"1:2\"><c r=\"A2\" t=\"inlineStr\"><is><t>A&amp;1</t></is></c>"
      "<c r=\"B2\" t=\"inlineStr\"><is><t>&lt;好&gt; &#x4E2D;&#25991; "
      "&quot;&apos;</t></is></c></row>"
      "<row r=\"3\"><c r=\"B3\" t=\"str\"><v><![CDATA[a<b>&c]]></v></c><c r=\"A3\"><v>7</v></c>"
      "</row><row r=\"4\"><c r=\"A4\" t=\"inlineStr\"/></row>";
  const std::string xlsx = inline_xlsx(sheet);
  for (std::size_t chunk : {1, 2, 3, 5, 7, 64, 1 << 20}) {
    const Streamed s = stream_bytes(xlsx, chunk);
    const std::string what = "chunk " + std::to_string(chunk);
    EXPECT_EQ(s.error, "") << what;
    EXPECT_THAT(s.header, ElementsAre("户编码", "走访内容")) << what;
    ASSERT_EQ(s.rows.size(), 2u) << what;
    EXPECT_THAT(s.rows[0].cells, ElementsAre("A&1", "<好> 中文 \"'")) << what;
    EXPECT_THAT(s.rows[1].cells, ElementsAre("7", "a<b>&c")) << what;
  }
}

TEST(TableStream, MalformedSheetXmlIsAnErrorAfterTheGoodRows) {
  const std::string good = inline_row(1, {"户编码"}) + inline_row(2, {"A1"});
  struct Case {
    std::string sheet_data;
    std::string error;
  };
  const std::vector<Case> cases = {
      {good + "<row r=\"3\"><c t=\"inlineStr\"><is><t>A2</is></c></row>", "不匹配"},
      {good + "<row r=\"3\"><c t=\"inlineStr\"><is><t>&nbsp;</t></is></c></row>", "未知的实体"},
      {good + "<row r=\"3\"><c r=A3><v>1</v></c></row>", "属性值没有引号"},
      {good + "<!DOCTYPE x []><row r=\"3\"/>", "DOCTYPE"},
  };
  for (const Case& c : cases) {
    const Streamed s = stream_bytes(inline_xlsx(c.sheet_data), 16);
    EXPECT_THAT(s.error, HasSubstr(c.error)) << c.sheet_data;
    EXPECT_THAT(s.error, HasSubstr("第 2 行之后")) << c.sheet_data;
    EXPECT_EQ(s.rows.size(), 1u) << c.sheet_data;
  }
  // Cut short: the sheet's XML ends inside a row.
  const std::string cut = zip_of({
      {"xl/workbook.xml",
       R"(<workbook xmlns:r="r"><sheets><sheet name="a" sheetId="1" r:id="rId1"/></sheets></workbook>)"},
      {"xl/worksheets/sheet1.xml", "<worksheet><sheetData>" + good + "<row r=\"3\"><c"},
  });
  EXPECT_THAT(stream_bytes(cut, 16).error, HasSubstr("文档不完整"));
}

TEST(TableStream, EmptyOrHeaderlessFilesAreRefusedAtOpen) {
  for (const std::string& bytes : {std::string(), std::string("\n \n,,\n"), inline_xlsx("")}) {
    EXPECT_THAT(std::get<std::string>(open_table_bytes(bytes)), HasSubstr("没有表头行"));
  }
}

}  // namespace
}  // namespace fangfan
