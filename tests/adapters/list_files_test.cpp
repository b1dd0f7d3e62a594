// The files of a department list (adapters/lists/list_files.h), read back with the project's own
// readers (adapters/import: table_stream, the XLSX reader), never with the writer: ID numbers
// and codes stay text with every character, Chinese headers, the "变化" sheet, the cover's
// SHA-256 is the CSV body's, the CSV has its BOM, the zip opens with its password only, files
// are 0640 and no temporary file is left behind.
#include "adapters/lists/list_files.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <zip.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "adapters/import/table_stream.h"
#include "tests/support/people.h"
#include "tests/support/xlsx_sheets.h"
#include "workflows/date.h"
#include "workflows/id_number.h"
#include "workflows/message_templates.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
using testing::PeopleGenerator;

const Date kDay = parse_date("2026-12-15").value();

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  std::string out;
  char hex[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", md[i]);
    out += hex;
  }
  return out;
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

std::set<std::string> files_in(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

class ListFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fangfan_list_files_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

using Table = testing::SheetTable;
using testing::read_sheet;
using testing::read_table;

std::string zip_entry(zip_t* zip, const char* name) {
  zip_file_t* f = zip_fopen(zip, name, 0);
  if (f == nullptr) return "<" + std::string(zip_strerror(zip)) + ">";
  std::string out;
  char buf[8192];
  zip_int64_t n;
  while ((n = zip_fread(f, buf, sizeof buf)) > 0) out.append(buf, std::size_t(n));
  zip_fclose(f);
  return out;
}

// A registered household per code; the first head's ID number ends in 'X'.
std::vector<ListCase> households(const std::vector<std::string>& codes) {
  PeopleGenerator gen(20261215);
  std::vector<ListCase> out;
  for (std::size_t i = 0; i < codes.size(); ++i) {
    ListCase c;
    c.case_id = std::int64_t(i + 1);
    c.snapshot.case_id = std::to_string(i + 1);
    c.snapshot.state = "registered";
    c.snapshot.data.kind = "unstable";
    c.snapshot.data.household =
        gen.household(codes[i], i % 2 == 0 ? "379901001001" : "379901002001", 2 + int(i % 3));
    c.snapshot.data.risk_causes = {RiskCause::kIllness};
    c.township_name = i % 2 == 0 ? "东镇" : "西镇";
    c.village_name = i % 2 == 0 ? "东村" : "西村";
    c.case_kind_name = "脱贫不稳定户";
    out.push_back(std::move(c));
  }
  Member& head = out[0].snapshot.data.household.members[0];
  while (head.id_number.back() != 'X') {
    head.id_number = gen.id_number(parse_date("1971-02-03").value(), true);
  }
  // A cell CSV must quote: a comma and quotes.
  if (out.size() > 1)
    out[1].snapshot.data.measures = {{1,
                                      MeasureType::kEducation,
                                      "助学金,\"春季\"",
                                      parse_date("2026-03-01").value(),
                                      MeasureStatus::kInPlace,
                                      {}}};
  return out;
}

DepartmentList civil_list() {
  DepartmentList list;
  list.name = "civil_affairs_list";
  list.department = "civil_affairs";
  list.department_name = "县民政局";
  for (const ListColumn& c : list_columns()) list.columns.emplace_back(c.code);
  return list;
}

StoredListRow stored(const ListContent& content, const ListRow& r) {
  StoredListRow s{r.key, r.household_code, r.name, {}};
  for (std::size_t c = 0; c < content.columns.size(); ++c) {
    s.cells.emplace_back(content.columns[c], r.cells[c]);
  }
  return s;
}

TEST_F(ListFilesTest, WorkbookAndCsvReadBackCellForCellAsText) {
  std::vector<ListCase> cases = households({"0012", "0100", "3799010010010003", "0007", "0099"});
  const DepartmentList list = civil_list();
  // The previous list had household 0099 with another phone, and 0055 which has since left.
  std::vector<ListCase> earlier = cases;
  earlier[4].snapshot.data.household.phone = "13700000000";
  earlier.push_back(households({"0055"}).front());
  earlier.back().snapshot.data.household.code = "0055";
  const ListContent before = build_list(list, earlier, parse_date("2026-12-01").value());
  std::vector<StoredListRow> previous;
  for (const ListRow& r : before.rows) previous.push_back(stored(before, r));
  const ListContent content = build_list(list, cases, kDay);
  const std::vector<ListChange> changes = list_changes(
      previous, content, [](const std::string&) { return "风险已消除（2026-12-03）"; });
  ASSERT_EQ(changes.size(), 2u);

  const fs::path out = dir_ / "lists" / "civil_affairs_list" / "2026-12-15";
  const fs::path xlsx = out / "县民政局-2026-12-15.xlsx";
  const fs::path csv = out / "县民政局-2026-12-15.csv";
  ListDocument doc{"示例县",     "县民政局",         "civil_affairs_list",
                   "2026-12-15", "2026-12-15 08:00", &content,
                   &changes,     "2026-12-01",       list_data_sha256(content)};
  write_list_xlsx(xlsx, doc);
  write_list_csv(csv, content);
  EXPECT_EQ(files_in(out), (std::set<std::string>{xlsx.filename(), csv.filename()}));
  EXPECT_EQ(mode_of(xlsx), 0640u);
  EXPECT_EQ(mode_of(csv), 0640u);

  // 名单: headers in Chinese, every cell as built, ID numbers with their 18 characters.
  const Table rows = read_sheet(xlsx, 2, dir_);
  std::vector<std::string> headers;
  for (const ListColumn& c : list_columns()) headers.emplace_back(c.header);
  EXPECT_EQ(rows.header, headers);
  ASSERT_EQ(rows.rows.size(), content.rows.size());
  for (std::size_t r = 0; r < rows.rows.size(); ++r) {
    std::vector<std::string> got = rows.rows[r];
    got.resize(content.columns.size());  // trailing empty cells are not written
    EXPECT_EQ(got, content.rows[r].cells) << r;
  }
  // Township and village (codes 379901001001 before 379901002001), then household code.
  std::vector<std::string> codes;
  for (const auto& row : rows.rows) codes.push_back(row[0]);
  EXPECT_EQ(codes, (std::vector<std::string>{"0012", "0099", "3799010010010003", "0007", "0100"}));
  EXPECT_EQ(rows.rows[0][4], cases[0].snapshot.data.household.members[0].id_number);
  EXPECT_EQ(rows.rows[0][4].back(), 'X');
  for (const auto& row : rows.rows) {
    EXPECT_EQ(row[4].size(), 18u);
    EXPECT_FALSE(id_number_problem(row[4], kDay)) << row[4];
  }
  // No cell of any sheet is a number: every <c> carries a string type.
  int sheets = 0;
  {
    int error = 0;
    zip_t* zip = zip_open(xlsx.c_str(), ZIP_RDONLY, &error);
    ASSERT_NE(zip, nullptr);
    for (int n = 1; n <= 3; ++n, ++sheets) {
      const std::string xml =
          zip_entry(zip, ("xl/worksheets/sheet" + std::to_string(n) + ".xml").c_str());
      EXPECT_FALSE(std::regex_search(xml, std::regex(R"(<c r="[A-Z]+[0-9]+"( s="[0-9]+")?>)")))
          << "a number cell in sheet " << n;
      if (n > 1) {
        EXPECT_NE(xml.find(R"(ySplit="1")"), std::string::npos) << n;
        EXPECT_NE(xml.find(R"(state="frozen")"), std::string::npos) << n;
      }
    }
    const std::string rows_xml = zip_entry(zip, "xl/worksheets/sheet2.xml");
    EXPECT_NE(rows_xml.find("<autoFilter ref=\"A1:T6\"/>"), std::string::npos);
    EXPECT_NE(rows_xml.find("<cols>"), std::string::npos);
    const std::string book = zip_entry(zip, "xl/workbook.xml");
    const std::size_t cover = book.find("name=\"封面\""), list_sheet = book.find("name=\"名单\""),
                      change_sheet = book.find("name=\"变化\"");
    EXPECT_NE(cover, std::string::npos);
    EXPECT_LT(cover, list_sheet);
    EXPECT_LT(list_sheet, change_sheet);
    EXPECT_NE(change_sheet, std::string::npos);
    zip_close(zip);
  }
  EXPECT_EQ(sheets, 3);

  // 变化: the changed phone, then the household that left with its reason.
  const Table changed = read_sheet(xlsx, 3, dir_);
  EXPECT_EQ(changed.header, (std::vector<std::string>{"类型", "户编号", "姓名", "说明"}));
  const std::string name_0099 = cases[4].snapshot.data.household.head()->name;
  const std::string name_0055 = earlier.back().snapshot.data.household.head()->name;
  EXPECT_EQ(changed.rows,
            (std::vector<std::vector<std::string>>{
                {"信息变更", "0099", name_0099,
                 "联系电话：13700000000 -> " + cases[4].snapshot.data.household.phone},
                {"移出名单", "0055", name_0055, "风险已消除（2026-12-03）"}}));

  // 封面: counts and the SHA-256 of the CSV body.
  const Table cover = read_table(xlsx);
  EXPECT_EQ(cover.header, (std::vector<std::string>{"防返贫监测帮扶名单", "县民政局 2026-12-15"}));
  std::map<std::string, std::string> facts;
  for (const auto& r : cover.rows) facts[r.at(0)] = r.size() > 1 ? r[1] : "";
  EXPECT_EQ(facts["县（市、区）"], "示例县");
  EXPECT_EQ(facts["部门"], "县民政局");
  EXPECT_EQ(facts["期次"], "2026-12-15");
  EXPECT_EQ(facts["生成时间"], "2026-12-15 08:00");
  EXPECT_EQ(facts["户数"], "5");
  EXPECT_EQ(facts["人数"], std::to_string(content.persons));
  EXPECT_EQ(facts["行数"], "5");
  EXPECT_EQ(facts["其中：监测对象（户）"], "5");
  EXPECT_EQ(facts["变化"], "与2026-12-01名单相比：新增0，信息变更1，移出名单1");
  const std::string csv_bytes = read_file(csv);
  ASSERT_EQ(csv_bytes.substr(0, 3), "\xEF\xBB\xBF");
  const std::string body = csv_bytes.substr(3);
  EXPECT_EQ(facts["数据校验码（SHA-256）"], sha256_hex(body));
  EXPECT_EQ(facts["数据校验码（SHA-256）"], list_data_sha256(content));

  // CSV: CRLF records, RFC 4180 quoting, and the same rows through the project's reader.
  EXPECT_EQ(body.substr(0, body.find("\r\n")).find("户编号,乡镇（街道）,行政村,户主姓名"), 0u);
  EXPECT_NE(body.find(",\"教育帮扶：助学金,\"\"春季\"\"\","), std::string::npos);
  EXPECT_EQ(body.substr(body.size() - 2), "\r\n");
  const Table csv_table = read_table(csv);
  EXPECT_EQ(csv_table.header, headers);
  ASSERT_EQ(csv_table.rows.size(), content.rows.size());
  for (std::size_t r = 0; r < csv_table.rows.size(); ++r) {
    std::vector<std::string> got = csv_table.rows[r];
    got.resize(content.columns.size());
    EXPECT_EQ(got, content.rows[r].cells) << r;
  }
}

TEST_F(ListFilesTest, AnEmptyListStillHasItsSheetsAndHeader) {
  DepartmentList list = civil_list();
  list.columns = {"household_code", "head_id_number"};
  const ListContent empty = build_list(list, {}, kDay);
  const fs::path xlsx = dir_ / "empty.xlsx";
  write_list_xlsx(xlsx, {"示例县", "县残联", "disabled_list", "2026-12-15", "2026-12-15 08:00",
                         &empty, nullptr, "", list_data_sha256(empty)});
  const Table rows = read_sheet(xlsx, 2, dir_);
  EXPECT_EQ(rows.header, (std::vector<std::string>{"户编号", "户主身份证号"}));
  EXPECT_TRUE(rows.rows.empty());
  const Table cover = read_table(xlsx);
  bool first = false;
  for (const auto& r : cover.rows) first = first || (r.size() > 1 && r[1].find("首次名单") == 0);
  EXPECT_TRUE(first);
  EXPECT_EQ(list_data_sha256(empty), sha256_hex("户编号,户主身份证号\r\n"));
}

TEST_F(ListFilesTest, ZipOpensWithItsPasswordOnly) {
  const ListContent content = build_list(civil_list(), households({"0012", "0013"}), kDay);
  const fs::path xlsx = dir_ / "县民政局-2026-12-15.xlsx";
  const fs::path csv = dir_ / "县民政局-2026-12-15.csv";
  write_list_xlsx(xlsx, {"示例县", "县民政局", "civil_affairs_list", "2026-12-15", "", &content,
                         nullptr, "", list_data_sha256(content)});
  write_list_csv(csv, content);
  const std::string password = make_list_password();
  const fs::path zip_path = dir_ / "out" / "县民政局-2026-12-15.zip";
  write_encrypted_zip(zip_path, {xlsx, csv}, password);
  EXPECT_EQ(mode_of(zip_path), 0640u);
  EXPECT_EQ(files_in(zip_path.parent_path()), std::set<std::string>{zip_path.filename()});

  struct Try {
    const char* name;
    std::optional<std::string> password;
    bool opens;
  };
  for (const Try& t : std::vector<Try>{{"none", std::nullopt, false},
                                       {"wrong", std::string("Wrong2Password"), false},
                                       {"right", password, true}}) {
    int error = 0;
    zip_t* zip = zip_open(zip_path.c_str(), ZIP_RDONLY, &error);
    ASSERT_NE(zip, nullptr) << t.name;
    EXPECT_EQ(zip_get_num_entries(zip, 0), 2) << t.name;
    if (t.password) zip_set_default_password(zip, t.password->c_str());
    for (const fs::path& f : {xlsx, csv}) {
      zip_stat_t st;
      ASSERT_EQ(zip_stat(zip, f.filename().c_str(), 0, &st), 0) << t.name;
      EXPECT_EQ(st.encryption_method, ZIP_EM_AES_256) << t.name;
      zip_file_t* entry = zip_fopen(zip, f.filename().c_str(), 0);
      if (!t.opens) {
        // No password: refused at open; a wrong one: refused at open (AES password check).
        EXPECT_EQ(entry, nullptr) << t.name;
        if (entry != nullptr) zip_fclose(entry);
        continue;
      }
      ASSERT_NE(entry, nullptr) << t.name << ": " << zip_strerror(zip);
      zip_fclose(entry);
      EXPECT_EQ(zip_entry(zip, f.filename().c_str()), read_file(f)) << t.name;
    }
    zip_discard(zip);
  }
}

TEST(ListPassword, LettersAndDigitsWithoutLookAlikesOrLongDigitRuns) {
  std::set<std::string> seen;
  for (int i = 0; i < 500; ++i) {
    const std::string p = make_list_password();
    ASSERT_EQ(p.size(), 12u);
    EXPECT_EQ(p.find_first_of("0O1lI"), std::string::npos) << p;
    bool digit = false, letter = false;
    int run = 0;
    for (char c : p) {
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << p;
      const bool d = std::isdigit(static_cast<unsigned char>(c)) != 0;
      digit = digit || d;
      letter = letter || !d;
      run = d ? run + 1 : 0;
      EXPECT_LT(run, 6) << p;
    }
    EXPECT_TRUE(digit && letter) << p;
    EXPECT_FALSE(contains_unmasked_identifiers("密码：" + p)) << p;
    seen.insert(p);
  }
  EXPECT_EQ(seen.size(), 500u);
  EXPECT_EQ(make_list_password(20).size(), 20u);
}

TEST_F(ListFilesTest, AtomicWritesReplaceWholeFilesWithMode0640) {
  const fs::path target = dir_ / "drop" / "civil" / "a.csv";  // folders created when missing
  write_file_atomically(target, "first");
  EXPECT_EQ(read_file(target), "first");
  fs::permissions(target, fs::perms::all);
  write_file_atomically(target, "second, longer");
  EXPECT_EQ(read_file(target), "second, longer");
  EXPECT_EQ(mode_of(target), 0640u);

  const fs::path copy = dir_ / "drop" / "health" / "a.csv";
  copy_file_atomically(target, copy);
  EXPECT_EQ(read_file(copy), "second, longer");
  EXPECT_EQ(mode_of(copy), 0640u);
  EXPECT_EQ(files_in(target.parent_path()), std::set<std::string>{"a.csv"});
  EXPECT_EQ(files_in(copy.parent_path()), std::set<std::string>{"a.csv"});

  const FileDigest abc = [&] {
    write_file_atomically(dir_ / "abc", "abc");
    return file_digest(dir_ / "abc");
  }();
  EXPECT_EQ(abc.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(abc.size, 3u);
  EXPECT_EQ(file_digest(copy).sha256, sha256_hex("second, longer"));

  // Failures name the path and leave nothing behind.
  struct Failure {
    const char* name;
    std::function<void()> run;
  };
  write_file_atomically(dir_ / "plain_file", "x");
  for (const Failure& f : std::vector<Failure>{
           {"folder_is_a_file", [&] { write_file_atomically(dir_ / "plain_file" / "b", "x"); }},
           {"copy_from_missing", [&] { copy_file_atomically(dir_ / "missing", dir_ / "c"); }},
           {"digest_of_missing", [&] { file_digest(dir_ / "missing"); }},
           {"zip_of_missing",
            [&] { write_encrypted_zip(dir_ / "d.zip", {dir_ / "missing"}, "pw"); }},
       }) {
    try {
      f.run();
      ADD_FAILURE() << f.name << ": no error";
    } catch (const ListFileError& e) {
      EXPECT_NE(std::string(e.what()).find(dir_.string()), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(files_in(dir_), (std::set<std::string>{"drop", "abc", "plain_file"}));
}

}  // namespace
}  // namespace fangfan
