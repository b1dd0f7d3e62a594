// Department list files through every channel (issue 13): the checked attachment, the
// multipart body, the drop folder, WeChat Work robot and application file messages and the
// department endpoint against the loopback fakes (which record the SHA-256 of what they
// received), and the channels that take no files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>

#include "adapters/channels/attachment.h"
#include "adapters/channels/file_channel.h"
#include "adapters/channels/folder_channel.h"
#include "adapters/channels/list_http_channel.h"
#include "adapters/channels/make_channels.h"
#include "adapters/channels/signing.h"
#include "adapters/channels/sms_aliyun.h"
#include "adapters/channels/sms_tencent.h"
#include "adapters/channels/webhook_channel.h"
#include "adapters/channels/wechat_app.h"
#include "adapters/channels/wechat_robot.h"
#include "adapters/clock/system_clock.h"
#include "tests/adapters/channels_test_util.h"
#include "tests/support/fake_multipart.h"
#include "tests/support/fake_providers.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
using testing::FakeAnswer;
using testing::FakeProviders;
using testing::FakeSecrets;
using ::testing::HasSubstr;
using testing::run_coro;
using Outcome = DeliveryResult::Outcome;

constexpr std::chrono::milliseconds kTimeout{1500};
const std::string kFileName = "县民政局-2026-12-01.xlsx";

// Bytes that would break a careless multipart writer or reader: NULs, CRLF, "--", a line that
// looks like a boundary, and every byte value.
std::string list_bytes(size_t n = 4096) {
  std::string s = "PK\x03\x04\r\n--\r\n--fangfan-0000\r\n\0\0";
  s.push_back('\0');
  for (size_t i = 0; s.size() < n; ++i) s.push_back(char(i * 7 % 256));
  return s;
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class Attachments : public ::testing::Test {
 protected:
  Attachments() {
    dir_ = fs::temp_directory_path() /
           ("fangfan-attachment-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "files");
    bytes_ = list_bytes();
    write_file(dir_ / "files" / kFileName, bytes_);
    file_ = {(dir_ / "files" / kFileName).string(), kFileName, sha256_digest_hex(bytes_),
             bytes_.size()};
  }
  ~Attachments() override { fs::remove_all(dir_); }

  OutgoingMessage list_message(std::int64_t id, std::string recipient) const {
    OutgoingMessage m{id,
                      std::move(recipient),
                      "department_list",
                      "【县民政局】2026-12-01防返贫监测帮扶名单",
                      {{"list", "civil"},
                       {"department", "civil_affairs"},
                       {"department_name", "县民政局"},
                       {"period", "2026-12-01"}}};
    m.attachment = file_;
    return m;
  }

  DeliveryResult send(Channel& c, OutgoingMessage m) { return run_coro(c.deliver(std::move(m))); }

  fs::path dir_;
  std::string bytes_;
  Attachment file_;
};

// -- the attachment itself

TEST(AttachmentParams, AreReadFromTheMessageParams) {
  struct Row {
    std::map<std::string, std::string> params;
    bool present;
    std::uint64_t size;
  };
  const Row rows[] = {
      {{{"attachment_path", "/f/a.xlsx"},
        {"attachment_name", "a.xlsx"},
        {"attachment_sha256", "ab"},
        {"attachment_size", "1234"}},
       true,
       1234},
      {{{"attachment_path", "/f/a.xlsx"}, {"attachment_size", "12x"}}, true, 0},
      {{{"attachment_path", "/f/a.xlsx"}}, true, 0},
      {{{"attachment_name", "a.xlsx"}, {"attachment_size", "5"}}, false, 0},
      {{}, false, 0},
  };
  for (const auto& row : rows) {
    auto a = attachment_from_params(row.params);
    ASSERT_EQ(a.has_value(), row.present);
    if (!a) continue;
    EXPECT_EQ(a->path, "/f/a.xlsx");
    EXPECT_EQ(a->size, row.size);
    if (row.params.count("attachment_name")) {
      EXPECT_EQ(a->file_name, "a.xlsx");
      EXPECT_EQ(a->sha256, "ab");
    }
  }
}

TEST(AttachmentDigest, IsTheKnownSha256) {
  EXPECT_EQ(sha256_digest_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_digest_hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_F(Attachments, OnlyTheRecordedBytesAreRead) {
  auto ok = read_attachment(file_);
  ASSERT_TRUE(std::holds_alternative<std::string>(ok));
  EXPECT_EQ(std::get<std::string>(ok), bytes_);
  Attachment upper = file_;
  for (char& c : upper.sha256) c = char(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(std::holds_alternative<std::string>(read_attachment(upper)));

  struct Row {
    const char* what;
    std::function<void(Attachment&)> change;
    const char* code;
  };
  const fs::path path = file_.path;
  const std::string same_size_other = std::string(bytes_.size(), 'x');
  const Row rows[] = {
      {"missing", [&](Attachment& a) { a.path = (dir_ / "files/gone.xlsx").string(); },
       "attachment_missing"},
      {"relative", [&](Attachment& a) { a.path = "files/a.xlsx"; }, "attachment_missing"},
      {"a folder", [&](Attachment& a) { a.path = dir_.string(); }, "attachment_missing"},
      {"recorded size differs", [&](Attachment& a) { a.size += 1; }, "attachment_changed"},
      {"recorded hash differs", [&](Attachment& a) { a.sha256 = sha256_digest_hex("other"); },
       "attachment_changed"},
      {"content changed, same size", [&](Attachment&) { write_file(path, same_size_other); },
       "attachment_changed"},
      {"file grew", [&](Attachment&) { write_file(path, bytes_ + "x"); }, "attachment_changed"},
  };
  for (const auto& row : rows) {
    write_file(path, bytes_);
    Attachment a = file_;
    row.change(a);
    auto r = read_attachment(a);
    ASSERT_TRUE(std::holds_alternative<DeliveryResult>(r)) << row.what;
    const auto& failed = std::get<DeliveryResult>(r);
    EXPECT_EQ(failed.outcome, Outcome::kPermanent) << row.what;
    EXPECT_EQ(failed.provider_code, row.code) << row.what;
    EXPECT_THAT(failed.error, HasSubstr(a.path)) << row.what;  // names the file
    EXPECT_THAT(failed.error, HasSubstr("名单文件")) << row.what;
  }
}

TEST(Multipart, RoundTripsThroughAStrictReader) {
  const std::string bytes = list_bytes(3000);
  MultipartBody form;
  form.add_field("list", "civil");
  form.add_field("say \"hi\"", "line 1\r\nline 2");
  form.add_file("file", "县民政局-2026-12-01.xlsx", bytes, content_type_for("a.xlsx"));
  form.add_file("media", "a\"b.csv", "12345", "application/octet-stream", true);
  const auto encoded = form.encode();
  EXPECT_THAT(encoded.content_type, HasSubstr("multipart/form-data; boundary=fangfan-"));
  auto parts = testing::parse_multipart(encoded.content_type, encoded.body);
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 4u);
  EXPECT_EQ((*parts)[0].name, "list");
  EXPECT_EQ((*parts)[0].data, "civil");
  EXPECT_FALSE((*parts)[0].file_name);
  EXPECT_EQ((*parts)[1].name, "say %22hi%22");
  EXPECT_EQ((*parts)[1].data, "line 1\r\nline 2");
  EXPECT_EQ((*parts)[2].file_name, "县民政局-2026-12-01.xlsx");
  EXPECT_EQ((*parts)[2].content_type,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  EXPECT_EQ((*parts)[2].data, bytes);
  EXPECT_EQ((*parts)[3].file_name, "a%22b.csv");
  EXPECT_EQ((*parts)[3].params.at("filelength"), "5");
  EXPECT_FALSE((*parts)[2].params.count("filelength"));
  // A body cut short or with another boundary is not read as a form.
  EXPECT_FALSE(testing::parse_multipart(encoded.content_type,
                                        encoded.body.substr(0, encoded.body.size() - 10)));
  EXPECT_FALSE(testing::parse_multipart("multipart/form-data; boundary=other", encoded.body));
  EXPECT_EQ(content_type_for("a.csv"), "text/csv; charset=utf-8");
  EXPECT_EQ(content_type_for("a.zip"), "application/zip");
  EXPECT_EQ(content_type_for("a.bin"), "application/octet-stream");
}

// -- the drop folder

TEST_F(Attachments, FolderGetsTheFileWholeWithMode0640AndNoTemporary) {
  const fs::path drop = dir_ / "drop";
  fs::create_directories(drop);
  // A temporary an interrupted copy left behind.
  write_file(drop / ("." + kFileName + ".tmp-dead"), "half");
  const mode_t old_umask = ::umask(077);  // the mode is the file's, not the umask's
  FolderChannel folder;
  DeliveryResult r = send(folder, list_message(1, drop.string()));
  ::umask(old_umask);
  ASSERT_EQ(r.outcome, Outcome::kSent) << r.error;
  EXPECT_EQ(r.provider_message_id, "folder:" + (drop / kFileName).string());
  EXPECT_EQ(sha256_digest_hex(read_file(drop / kFileName)), file_.sha256);
  struct stat st {};
  ASSERT_EQ(::stat((drop / kFileName).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(drop)) names.push_back(e.path().filename());
  EXPECT_EQ(names, std::vector<std::string>{kFileName});

  // The same file again: nothing rewritten (same inode), sent.
  const auto inode = st.st_ino;
  r = send(folder, list_message(2, drop.string()));
  EXPECT_EQ(r.outcome, Outcome::kSent) << r.error;
  EXPECT_EQ(r.provider_code, "exists");
  ASSERT_EQ(::stat((drop / kFileName).c_str(), &st), 0);
  EXPECT_EQ(st.st_ino, inode);

  // A different file under the name (an edited copy): replaced by the recorded one.
  write_file(drop / kFileName, "edited by hand");
  r = send(folder, list_message(3, drop.string()));
  EXPECT_EQ(r.outcome, Outcome::kSent) << r.error;
  EXPECT_EQ(read_file(drop / kFileName), bytes_);
}

TEST_F(Attachments, FolderRefusesWhatItCannotDeliver) {
  const fs::path drop = dir_ / "drop";
  fs::create_directories(drop);
  FolderChannel folder;
  struct Row {
    const char* what;
    std::function<void(OutgoingMessage&)> change;
    Outcome outcome;
    const char* says;
  };
  const Row rows[] = {
      {"no attachment", [](OutgoingMessage& m) { m.attachment.reset(); }, Outcome::kPermanent,
       "只发送文件"},
      {"relative folder", [](OutgoingMessage& m) { m.recipient = "drop"; }, Outcome::kPermanent,
       "绝对路径"},
      {"name with a slash", [](OutgoingMessage& m) { m.attachment->file_name = "../x.xlsx"; },
       Outcome::kPermanent, "文件名"},
      {"folder missing (a share not mounted)",
       [&](OutgoingMessage& m) { m.recipient = (dir_ / "unmounted").string(); }, Outcome::kRetry,
       "投递文件夹不存在"},
      {"folder is a file",
       [&](OutgoingMessage& m) { m.recipient = (dir_ / "files" / kFileName).string(); },
       Outcome::kPermanent, "不是文件夹"},
      {"file changed since recorded", [](OutgoingMessage& m) { m.attachment->sha256 = "00"; },
       Outcome::kPermanent, "名单文件已改变"},
  };
  for (const auto& row : rows) {
    OutgoingMessage m = list_message(1, drop.string());
    row.change(m);
    DeliveryResult r = send(folder, std::move(m));
    EXPECT_EQ(r.outcome, row.outcome) << row.what;
    EXPECT_THAT(r.error, HasSubstr(row.says)) << row.what;
  }
  EXPECT_TRUE(fs::is_empty(drop));  // nothing half written
}

// -- WeChat Work and the department endpoint, over loopback

class FileGateways : public Attachments {
 protected:
  FileGateways() : fake_(secrets()) {
    fake_.set_delay(std::chrono::milliseconds(3000));
    const auto& s = fake_.secrets();
    robot_.base_url = fake_.base_url();
    robot_.groups = {{"民政局群", "", s.robot_keys[1], {}}};
    app_.base_url = fake_.base_url();
    app_.corp_id = s.corp_id;
    app_.corp_secret = s.corp_secret;
    app_.agent_id = s.agent_id;
    DepartmentList civil;
    civil.name = "civil";
    civil.department = "civil_affairs";
    civil.delivery.http_url = fake_.base_url() + "/lists/civil";
    civil.delivery.http_token = s.list_bearer;
    civil.delivery.http_hmac_secret = s.list_hmac;
    DepartmentList education = civil;
    education.name = "education";
    education.delivery.http_url = "";
    lists_.lists = {civil, education};
  }
  static FakeSecrets secrets() {
    FakeSecrets s;
    s.list_bearer = "list-bearer-token";
    s.list_hmac = "list-hmac-secret";
    return s;
  }

  FakeProviders fake_;
  HttpClient http_;
  SystemClock wall_;
  WechatRobotConfig robot_;
  WechatAppConfig app_;
  ListsConfig lists_;
};

struct AnswerRow {
  FakeAnswer answer;
  Outcome outcome;
};

TEST_F(FileGateways, RobotUploadsThenSendsTheFileIntact) {
  WechatRobotChannel robot(robot_, http_, wall_, kTimeout);
  DeliveryResult r = send(robot, list_message(7, "民政局群"));
  ASSERT_EQ(r.outcome, Outcome::kSent) << r.error;
  auto uploads = fake_.accepted("wechat_robot_upload");
  ASSERT_EQ(uploads.size(), 1u);
  EXPECT_EQ(uploads[0].fields["key"], fake_.secrets().robot_keys[1]);
  EXPECT_EQ(uploads[0].fields["file_name"], kFileName);
  EXPECT_EQ(uploads[0].fields["size"], std::to_string(bytes_.size()));
  EXPECT_EQ(uploads[0].fields["sha256"], file_.sha256);
  auto sends = fake_.accepted("wechat_robot");
  ASSERT_EQ(sends.size(), 1u);
  EXPECT_EQ(sends[0].fields["msgtype"], "file");
  EXPECT_EQ(sends[0].fields["media_id"], uploads[0].fields["media_id"]);
  EXPECT_EQ(sends[0].fields["sha256"], file_.sha256);
  // The key stays in the URL: never in the JSON body.
  EXPECT_THAT(sends[0].body, ::testing::Not(HasSubstr(fake_.secrets().robot_keys[1])));
}

TEST_F(FileGateways, RobotUploadFailuresAreClassifiedAndNothingIsSent) {
  WechatRobotChannel robot(robot_, http_, wall_, kTimeout);
  // The drop right after the timeout, on a fresh connection: curl itself sends again once when
  // a kept-alive connection turns out closed.
  const AnswerRow rows[] = {
      {FakeAnswer::kServerError, Outcome::kRetry},
      {FakeAnswer::kTooManyRequests, Outcome::kRetry},
      {FakeAnswer::kRateLimit, Outcome::kRateLimited},
      {FakeAnswer::kPermanent, Outcome::kPermanent},
      {FakeAnswer::kDelay, Outcome::kRetry},
      {FakeAnswer::kDrop, Outcome::kRetry},
  };
  for (const auto& row : rows) {
    fake_.script("wechat_robot_upload", row.answer);
    DeliveryResult r = send(robot, list_message(8, "民政局群"));
    EXPECT_EQ(r.outcome, row.outcome) << int(row.answer) << " " << r.error;
  }
  EXPECT_TRUE(fake_.accepted("wechat_robot").empty());
  // The send step's own refusal after a good upload.
  fake_.script("wechat_robot", FakeAnswer::kRateLimit);
  EXPECT_EQ(send(robot, list_message(9, "民政局群")).outcome, Outcome::kRateLimited);
  // A retry after a failed upload uploads again and sends once.
  fake_.script("wechat_robot_upload", FakeAnswer::kServerError);
  EXPECT_EQ(send(robot, list_message(10, "民政局群")).outcome, Outcome::kRetry);
  EXPECT_EQ(send(robot, list_message(10, "民政局群")).outcome, Outcome::kSent);
  EXPECT_EQ(fake_.accepted("wechat_robot").size(), 1u);
}

TEST_F(FileGateways, ChangedOrOversizedFilesNeverLeave) {
  WechatRobotChannel robot(robot_, http_, wall_, kTimeout);
  WechatAppChannel app(app_, http_, wall_, kTimeout);
  ListHttpChannel list(lists_, http_, wall_, kTimeout);
  write_file(file_.path, std::string(bytes_.size(), 'x'));  // changed after it was recorded
  struct Target {
    Channel* channel;
    std::string recipient;
  };
  for (const Target& t :
       {Target{&robot, "民政局群"}, Target{&app, "zhangsan"}, Target{&list, "civil"}}) {
    DeliveryResult r = send(*t.channel, list_message(11, t.recipient));
    EXPECT_EQ(r.outcome, Outcome::kPermanent) << t.channel->name();
    EXPECT_EQ(r.provider_code, "attachment_changed") << t.channel->name();
    EXPECT_THAT(r.error, HasSubstr(file_.path));
    OutgoingMessage big = list_message(12, t.recipient);
    big.attachment->size = 21 * 1024 * 1024;
    if (t.channel != &list) {
      EXPECT_EQ(send(*t.channel, std::move(big)).provider_code, "file_size");
    }
  }
  for (const auto& r : fake_.requests()) {
    EXPECT_NE(r.provider, "wechat_robot_upload");
    EXPECT_NE(r.provider, "wechat_app_upload");
    EXPECT_NE(r.provider, "list_http");
  }
}

TEST_F(FileGateways, AppUploadsThenSendsTheFileToTheClerk) {
  WechatAppChannel app(app_, http_, wall_, kTimeout);
  DeliveryResult r = send(app, list_message(21, "wx_clerk_civil"));
  ASSERT_EQ(r.outcome, Outcome::kSent) << r.error;
  EXPECT_FALSE(r.provider_message_id.empty());
  auto uploads = fake_.accepted("wechat_app_upload");
  ASSERT_EQ(uploads.size(), 1u);
  EXPECT_EQ(uploads[0].fields["file_name"], kFileName);
  EXPECT_EQ(uploads[0].fields["sha256"], file_.sha256);
  auto sends = fake_.accepted("wechat_app");
  ASSERT_EQ(sends.size(), 1u);
  EXPECT_EQ(sends[0].fields["touser"], "wx_clerk_civil");
  EXPECT_EQ(sends[0].fields["msgtype"], "file");
  EXPECT_EQ(sends[0].fields["sha256"], file_.sha256);

  // An expired token at the upload: a fresh token, the upload again, one message.
  fake_.expire_tokens();
  r = send(app, list_message(22, "wx_clerk_civil"));
  ASSERT_EQ(r.outcome, Outcome::kSent) << r.error;
  EXPECT_EQ(app.tokens_fetched(), 2);
  EXPECT_EQ(fake_.accepted("wechat_app_upload").size(), 2u);
  EXPECT_EQ(fake_.accepted("wechat_app").size(), 2u);

  const AnswerRow rows[] = {
      {FakeAnswer::kServerError, Outcome::kRetry},
      {FakeAnswer::kRateLimit, Outcome::kRateLimited},
      {FakeAnswer::kPermanent, Outcome::kPermanent},
  };
  for (const auto& row : rows) {
    fake_.script("wechat_app_upload", row.answer);
    EXPECT_EQ(send(app, list_message(23, "wx_clerk_civil")).outcome, row.outcome);
  }
  EXPECT_EQ(fake_.accepted("wechat_app").size(), 2u);
}

TEST_F(FileGateways, DepartmentEndpointReceivesSignedFormWithTheFile) {
  ListHttpChannel list(lists_, http_, wall_, kTimeout);
  DeliveryResult r = send(list, list_message(31, "civil"));
  ASSERT_EQ(r.outcome, Outcome::kSent) << r.error;
  auto got = fake_.accepted("list_http");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(r.provider_message_id, got[0].fields["answer_id"]);
  EXPECT_EQ(got[0].target, "/lists/civil");
  EXPECT_EQ(got[0].fields["list"], "civil");
  EXPECT_EQ(got[0].fields["department"], "civil_affairs");
  EXPECT_EQ(got[0].fields["period"], "2026-12-01");
  EXPECT_EQ(got[0].fields["file_name"], kFileName);
  EXPECT_EQ(got[0].fields["size"], std::to_string(bytes_.size()));
  EXPECT_EQ(got[0].fields["sha256"], file_.sha256);  // what arrived, hashed by the fake
  EXPECT_EQ(got[0].fields["idempotency_key"], "31");
  EXPECT_EQ(got[0].headers["authorization"], "Bearer list-bearer-token");

  // The fake checks the HMAC with its own secret: another secret is refused for good.
  ListsConfig wrong = lists_;
  wrong.lists[0].delivery.http_hmac_secret = "not-the-shared-secret";
  ListHttpChannel forged(wrong, http_, wall_, kTimeout);
  r = send(forged, list_message(32, "civil"));
  EXPECT_EQ(r.outcome, Outcome::kPermanent);
  EXPECT_EQ(r.provider_code, "401");
  EXPECT_EQ(fake_.requests().back().reason, "bad signature");
}

TEST_F(FileGateways, DepartmentEndpointAnswerClasses) {
  ListHttpChannel list(lists_, http_, wall_, kTimeout);
  const AnswerRow rows[] = {
      {FakeAnswer::kSuccess, Outcome::kSent},
      {FakeAnswer::kServerError, Outcome::kRetry},
      {FakeAnswer::kTooManyRequests, Outcome::kRetry},
      {FakeAnswer::kRateLimit, Outcome::kRetry},  // a 429
      {FakeAnswer::kDelay, Outcome::kRetry},      // beyond the timeout
      {FakeAnswer::kDrop, Outcome::kRetry},
      {FakeAnswer::kPermanent, Outcome::kPermanent},  // 403
  };
  for (const auto& row : rows) {
    fake_.script("list_http", row.answer);
    DeliveryResult r = send(list, list_message(40, "civil"));
    EXPECT_EQ(r.outcome, row.outcome) << int(row.answer) << " " << r.error;
  }
  EXPECT_EQ(send(list, list_message(41, "education")).outcome, Outcome::kPermanent);  // no url
  EXPECT_EQ(send(list, list_message(42, "unknown")).outcome, Outcome::kPermanent);
  OutgoingMessage bare = list_message(43, "civil");
  bare.attachment.reset();
  EXPECT_EQ(send(list, std::move(bare)).outcome, Outcome::kPermanent);
}

TEST_F(FileGateways, ChannelsWithoutFilesRefuseAttachments) {
  SmsAliyunConfig aliyun;
  aliyun.endpoint = fake_.base_url() + "/aliyun/";
  SmsTencentConfig tencent;
  tencent.endpoint = fake_.base_url() + "/tencent/";
  WebhookConfig hook;
  hook.url = fake_.base_url() + "/hook";
  SmsAliyunChannel a(aliyun, http_, wall_, kTimeout);
  SmsTencentChannel t(tencent, http_, wall_, kTimeout);
  WebhookChannel w(hook, http_, wall_, kTimeout);
  for (Channel* c : std::vector<Channel*>{&a, &t, &w}) {
    DeliveryResult r = send(*c, list_message(50, "13800000000"));
    EXPECT_EQ(r.outcome, Outcome::kPermanent) << c->name();
    EXPECT_THAT(r.error, HasSubstr("此渠道不能发送文件 (channel cannot send files)"));
  }
  EXPECT_TRUE(fake_.requests().empty());
}

TEST_F(Attachments, FileChannelRecordsTheAttachmentInItsLine) {
  SimulatedClock clock(TimePoint{std::chrono::seconds(1'800'000'000)});
  FileChannel channel(dir_ / "messages.jsonl", clock);
  DeliveryResult r = send(channel, list_message(60, "民政局群"));
  ASSERT_EQ(r.outcome, Outcome::kSent) << r.error;
  std::ifstream in(dir_ / "messages.jsonl");
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  auto a = boost::json::parse(line).as_object()["attachment"].as_object();
  EXPECT_EQ(a["name"].as_string(), kFileName);
  EXPECT_EQ(a["path"].as_string(), file_.path);
  EXPECT_EQ(a["sha256"].as_string(), file_.sha256);
  EXPECT_EQ(a["size"].to_number<std::uint64_t>(), bytes_.size());
}

TEST(MakeChannels, ListChannelsAreRegistered) {
  HttpClient http;
  SimulatedClock clock(TimePoint{std::chrono::seconds(1'800'000'000)});
  auto names = [&](const Config& c) {
    std::set<std::string> out;
    for (const auto& ch : make_channels(c, http, clock, clock)) out.insert(ch->name());
    return out;
  };
  Config config;
  config.channels.file.path = fs::temp_directory_path() / "fangfan-make-channels.jsonl";
  EXPECT_FALSE(names(config).count("list_folder"));
  EXPECT_FALSE(names(config).count("list_http"));
  DepartmentList folder_only;
  folder_only.name = "civil";
  folder_only.delivery.folder = "/srv/drop/civil";
  config.rules.lists.lists = {folder_only};
  EXPECT_TRUE(names(config).count("list_folder"));
  EXPECT_FALSE(names(config).count("list_http"));
  DepartmentList http_list = folder_only;
  http_list.name = "health";
  http_list.delivery.http_url = "https://health.example/lists";
  config.rules.lists.lists.push_back(http_list);
  EXPECT_TRUE(names(config).count("list_http"));
  http_list.delivery.folder = "";
  config.rules.lists.lists = {http_list};
  EXPECT_EQ(names(config), (std::set<std::string>{"file", "list_http"}));
}

}  // namespace
}  // namespace fangfan
