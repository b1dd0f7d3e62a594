// A deployment's configuration: the county and its places, the people who get
// reminders, the program rules, storage and channels. Read from one TOML file
// by load_config(); every path inside the file is resolved against the file's
// own folder, so a copied config folder runs anywhere.
//
// load_config() never half-succeeds: it returns either a complete, validated
// Config or every error it found, each naming file, line and key. Unknown keys
// are errors, not ignored. Config is immutable once loaded; share it as
// std::shared_ptr<const Config> (SIGHUP swaps in a new one).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "workflows/delivery_rules.h"
#include "workflows/message_templates.h"
#include "workflows/program_rules.h"

namespace fangfan {

// Who a person is in the program. Scope codes: county 6 digits, township 9, village 12.
enum class Role {
  kCountyAdmin,        // 县级管理员: runs fangfan, receives system warnings
  kCountyOffice,       // 县乡村振兴局: reviews, cross-checks, enters objects
  kTownshipHead,       // 乡镇分管领导: second rung of escalations
  kTownshipClerk,      // 乡镇扶贫办: verification, written notices
  kVillageOfficer,     // 村两委: screening, publicity, democratic review
  kAssistanceOfficer,  // 帮扶责任人: visits
  kDepartmentClerk,    // 行业部门
  kAuditor,            // read-only
};
const char* role_name(Role r);
std::optional<Role> parse_role(std::string_view name);

enum class ScopeLevel { kCounty, kTownship, kVillage };

struct County {
  std::string code;  // 6-digit area code
  std::string name;
  std::string province;
};

struct Township {
  std::string code;  // 9 digits, begins with the county code
  std::string name;
};

struct Village {
  std::string code;  // 12 digits, begins with its township's code
  std::string name;
  std::string township;
};

struct Department {
  std::string code;  // civil_affairs, medical_insurance, health, education, human_resources,
                     // housing, water, disability_federation, emergency_management, police,
                     // market_regulation, ...
  std::string name;
};

struct Person {
  std::string name;
  Role role = Role::kAuditor;
  std::string scope;                  // county, township or village code (or a department code)
  std::string phone;                  // mainland mobile, 11 digits; may be empty when wechat is set
  std::string wechat;                 // WeChat Work user id; may be empty
  std::vector<std::string> channels;  // delivery order, e.g. {"wechat_app", "sms"}
};

// The address of `person` on `channel`: phone for SMS, WeChat Work id for
// wechat_app, the person's name and scope for the file channel.
std::string address_for(const Person& person, std::string_view channel);

struct Config;
// The people who receive a notice about a household of `village` in `township` (either may be
// empty), by role name in the order given ("township_clerk", "county_office", ...): everyone of
// the role whose scope is the county, the township or the village. "assistance_officer" means
// the case's `officer` by name, else the village officers. A notice about a `department`'s
// feed also reaches people of the roles whose scope is that department code (its department
// clerks). Each person once.
std::vector<const Person*> notice_recipients(const Config& config,
                                             const std::vector<std::string>& roles,
                                             const std::string& township,
                                             const std::string& village, const std::string& officer,
                                             const std::string& department = "");
// The same, but a notice must not vanish when nobody holds the roles here (a village without a
// village officer, say): then the township head, else the county admins, who can add the
// missing person to the configuration. Empty only when there is not even a county admin.
std::vector<const Person*> notice_recipients_or_fallback(
    const Config& config, const std::vector<std::string>& roles, const std::string& township,
    const std::string& village, const std::string& officer, const std::string& department = "");
// The name of a village or township code; the code itself when unknown.
std::string place_name(const Config& config, const std::string& code);
// What --check-config warns about without refusing the file: each role of an escalation ladder
// (steps, visits, monitoring, evaluation, campaign milestones, alerts) that nobody holds for a
// village (case duties) or township (campaigns, alerts), naming the place and who receives the
// rung instead (config_warnings.cpp). Empty when every rung reaches its roles everywhere.
std::vector<std::string> config_warnings(const Config& config);

struct FileChannelConfig {
  bool enabled = true;
  std::filesystem::path path;  // JSON lines, one delivered message per line
};

// -- gateways (H1): HTTP channels. Secrets are read from the file inline or
// from `*_file` / `*_env`; they never appear in errors or logs.
struct HttpSettings {
  int max_in_flight = 8;         // requests on the wire at once, all gateways together
  int max_host_connections = 4;  // kept-alive connections per host
  int timeout_seconds = 10;      // per request
};

struct WechatRobotGroup {
  std::string name;   // the recipient: a group name, e.g. "town-370102001"
  std::string scope;  // optional: the township/county code whose people this group reaches
  std::string key;    // the webhook key (secret)
  std::vector<std::string> mentioned_mobiles;  // "@all" or phones to @ in text messages
};

struct WechatRobotConfig {
  bool enabled = false;
  std::string base_url = "https://qyapi.weixin.qq.com";
  std::string format = "text";  // "text" or "markdown"
  std::vector<WechatRobotGroup> groups;
};

// The WeChat Work robot group a recipient address reaches: by the group's name, else by the
// scope after '@' ("name@scope"). nullptr when none (the person is unreachable by robot).
const WechatRobotGroup* find_robot_group(const WechatRobotConfig& config,
                                         std::string_view recipient);

struct WechatAppConfig {
  bool enabled = false;
  std::string base_url = "https://qyapi.weixin.qq.com";
  std::string corp_id;
  std::string corp_secret;  // secret
  std::int64_t agent_id = 0;
};

// One SMS template: the provider's approved template and which message
// params fill its variables, in order (Tencent) or by name (Alibaba).
struct SmsTemplate {
  std::string code;
  std::vector<std::string> params;
};

struct SmsAliyunConfig {
  bool enabled = false;
  std::string endpoint = "https://dysmsapi.aliyuncs.com/";
  std::string access_key_id;
  std::string access_key_secret;  // secret
  std::string sign_name;
  std::string region = "cn-hangzhou";
  std::map<std::string, SmsTemplate> templates;  // by message_type
};

struct SmsTencentConfig {
  bool enabled = false;
  std::string endpoint = "https://sms.tencentcloudapi.com/";
  std::string secret_id;
  std::string secret_key;  // secret
  std::string sdk_app_id;
  std::string sign_name;
  std::string region = "ap-guangzhou";
  std::map<std::string, SmsTemplate> templates;  // by message_type
};

struct WebhookConfig {
  bool enabled = false;
  std::string url;
  std::string bearer_token;  // secret; sent as Authorization: Bearer
  std::string hmac_secret;   // secret; X-Fangfan-Signature: sha256=HMAC(timestamp.body)
};

struct ChannelsConfig {
  FileChannelConfig file;
  HttpSettings http;
  WechatRobotConfig wechat_robot;
  WechatAppConfig wechat_app;
  SmsAliyunConfig sms_aliyun;
  SmsTencentConfig sms_tencent;
  WebhookConfig webhook;
};

struct Config {
  std::filesystem::path file;  // absolute path of the file this was loaded from
  County county;
  std::vector<Township> townships;
  std::vector<Village> villages;
  std::vector<Department> departments;
  std::vector<Person> people;

  std::string storage_url;  // sqlite3://ABSOLUTE_PATH or postgresql://...
  // [storage] outbox_lease_seconds: several daemons on one PostgreSQL: how long a claimed
  // message stays this daemon's without a renewal (renewed whenever it writes answers) before
  // another daemon takes it back and sends it again. 30..86400 and more than twice
  // [channels.http] timeout_seconds (a send in flight renews nothing). Read at start.
  std::chrono::seconds outbox_lease{300};
  // [storage] files: where produced files are kept (department lists under lists/<list>/
  // <period>/), absolute; default "state/files" next to the configuration file.
  std::filesystem::path files_dir;
  std::string log_level = "info";
  std::filesystem::path calendar_dir;
  std::string api_listen = "127.0.0.1:8470";
  // [api] socket: also serve the API on this Unix socket (mode 0660); empty = TCP only.
  std::filesystem::path api_socket;
  // [api] max_connections_per_client: open API connections one source address may hold (1..256).
  int api_max_connections_per_client = 64;
  // [api] header_timeout_seconds: an API connection with no complete request head after this
  // long is closed (1..30).
  int api_header_timeout_seconds = 5;
  int shutdown_timeout_seconds = 10;

  ProgramRules rules;
  ChannelsConfig channels;
  // -- delivery: [delivery] (attempts, backoff, quiet hours, digests, pacing, breaker) and
  // [templates] (overrides of the built-in message texts); see config_delivery.cpp.
  DeliveryPolicy delivery;
  MessageTemplates templates;

  const Township* find_township(std::string_view code) const;
  const Village* find_village(std::string_view code) const;
  // The level of a place code this county defines, or nullopt when unknown.
  std::optional<ScopeLevel> scope_level(std::string_view code) const;
};

struct ConfigError {
  std::string file;
  int line = 0;  // 0 when the error has no single line (e.g. the file is missing)
  std::string key;
  std::string message;
  // "FILE:LINE: KEY: MESSAGE"
  std::string to_string() const;
};

using ConfigResult = std::variant<std::shared_ptr<const Config>, std::vector<ConfigError>>;

struct LoadOptions {
  // false: gateway secrets given as *_file or *_env are checked for form but not read (they
  // stay empty). For fangfanctl, which needs the database and the API address, and runs as an
  // operator who may not see the daemon's secret files or its EnvironmentFile.
  bool read_secrets = true;
  // Today as the caller's clock says (China date): the SMS-template check leaves out campaigns
  // whose last milestone is over (they send nothing more). nullopt: every configured campaign
  // counts. The loader reads no clock; the daemon and fangfanctl pass their clock's date.
  std::optional<Date> today;
};

ConfigResult load_config(const std::filesystem::path& file, LoadOptions options = {});

// Same checks on text already in memory; `display_name` is used in messages and
// its folder for resolving relative paths.
ConfigResult load_config_text(std::string_view text, const std::filesystem::path& display_name,
                              LoadOptions options = {});

}  // namespace fangfan
