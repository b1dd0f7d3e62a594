// [channels.http] and the gateway sections [channels.wechat_robot],
// [channels.wechat_app], [channels.sms_aliyun], [channels.sms_tencent],
// [channels.webhook] (the file channel is read in config_loader.cpp).
//
// Secrets (robot keys, corp secret, access key secrets, tokens) are given in
// one of three ways: inline `X = "..."`, `X_file = "path"` (the file's whole
// content, trimmed; e.g. a root-only file next to the config) or `X_env =
// "NAME"` (an environment variable, e.g. from systemd's EnvironmentFile=).
// Error messages name the key and the file, never the value.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "adapters/channels/wechat_robot.h"
#include "adapters/config/config_reader.h"
#include "workflows/message_templates.h"
#include "workflows/message_types.h"

namespace fangfan::config_detail {

namespace {

std::string trim(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(0, s.find_first_not_of(ws));
  const size_t end = s.find_last_not_of(ws);
  s.erase(end == std::string::npos ? 0 : end + 1);
  return s;
}

}  // namespace

// A secret given as `key`, `key_file` or `key_env` (exactly one when required).
std::string secret(Reader& r, const std::string& key, const fs::path& dir, bool required) {
  const auto inline_value = r.string(key, false);
  const auto file = r.string(key + "_file", false);
  const auto env = r.string(key + "_env", false);
  const int given = int(bool(inline_value)) + int(bool(file)) + int(bool(env));
  if (given > 1) {
    r.error(key,
            "is given more than once: use one of " + key + ", " + key + "_file, " + key + "_env");
    return "";
  }
  if (given == 0) {
    if (required) {
      r.error(key,
              "is required but missing (give " + key + ", " + key + "_file or " + key + "_env)");
    }
    return "";
  }
  std::string value;
  if (inline_value) {
    value = *inline_value;
  } else if (!r.errors().read_secrets) {
    return "";  // fangfanctl: the daemon's secret files and environment are not ours to read
  } else if (file) {
    const fs::path path = resolve(dir, *file);
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      r.error(key + "_file", "cannot read the secret file " + path.string());
      return "";
    }
    std::ostringstream all;
    all << in.rdbuf();
    value = trim(all.str());
    if (value.empty()) {
      r.error(key + "_file", "the secret file " + path.string() + " is empty");
      return "";
    }
    return value;
  } else {
    const char* v = std::getenv(env->c_str());
    if (!v || !*v) {
      r.error(key + "_env", "the environment variable " + *env + " is not set");
      return "";
    }
    return trim(v);
  }
  if (required && value.empty()) r.error(key, "must not be empty");
  return value;
}

namespace {

void http_url(Reader& r, const std::string& key, std::string& out, bool required) {
  if (auto v = r.string(key, false)) {
    if (v->rfind("http://", 0) != 0 && v->rfind("https://", 0) != 0) {
      r.error(key, "must be an http:// or https:// address");
      return;
    }
    while (!v->empty() && v->back() == '/' && key != "endpoint") v->pop_back();
    out = *v;
  } else if (required) {
    r.error(key, "is required but missing");
  }
}

std::string text(Reader& r, const std::string& key, bool required) {
  auto v = r.string(key, false);
  if ((!v || v->empty()) && required) {
    r.error(key, v ? "must not be empty" : "is required but missing");
  }
  return v.value_or("");
}

std::string joined(const auto& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

// templates = { message_type = { code = "...", params = ["..."] } }: each type one fangfan
// sends, each param one that message has (else the provider would get an empty variable).
std::map<std::string, SmsTemplate> templates(Reader& r, bool required) {
  std::map<std::string, SmsTemplate> out;
  const toml::table* t = r.table("templates", false);
  if (!t) {
    if (required) r.error("templates", "is required: which provider template each message uses");
    return out;
  }
  Reader tr(*t, r.key_path("templates"), r.errors());
  for (auto&& [k, v] : *t) {
    const std::string type(k.str());
    const toml::table* one = tr.table(type);
    if (!one) continue;
    const MessageTypeInfo* info = find_message_type(type);
    if (!info) {
      std::vector<std::string_view> types;
      for (const MessageTypeInfo& t : message_types()) types.push_back(t.type);
      tr.error(type, "'" + type + "' is not a message type fangfan sends (" + joined(types) + ")");
    }
    Reader one_r(*one, tr.key_path(type), r.errors());
    SmsTemplate s;
    if (auto code = one_r.string("code")) {
      if (code->empty()) one_r.error("code", "must not be empty");
      s.code = *code;
    }
    s.params = one_r.strings("params", false);
    for (const auto& p : s.params) {
      if (p.empty()) {
        one_r.error("params", "a parameter name must not be empty");
      } else if (info &&
                 std::find(info->params.begin(), info->params.end(), p) == info->params.end()) {
        one_r.error("params",
                    "'" + p + "' is not a param of " + type + " (" + joined(info->params) + ")");
      }
    }
    out[type] = std::move(s);
  }
  if (required && out.empty()) r.error("templates", "must name at least one template");
  return out;
}

void read_robot(Reader& r, WechatRobotConfig& c, const fs::path& dir) {
  c.enabled = r.boolean("enabled", false).value_or(false);
  http_url(r, "base_url", c.base_url, false);
  if (auto f = r.string("format", false)) {
    if (*f != "text" && *f != "markdown") r.error("format", "must be \"text\" or \"markdown\"");
    c.format = *f;
  }
  const toml::node* groups = r.node("groups", c.enabled);
  if (groups && groups->is_table()) {
    // groups = { name = "key", ... }
    for (auto&& [k, v] : *groups->as_table()) {
      WechatRobotGroup g;
      g.name = std::string(k.str());
      if (!v.is_string() || v.as_string()->get().empty()) {
        r.errors().add(v.source(), r.key_path("groups") + "." + g.name,
                       "must be the group robot's webhook key (a string)");
        continue;
      }
      g.key = v.as_string()->get();
      c.groups.push_back(std::move(g));
    }
  } else if (groups && groups->is_array()) {
    r.each_table("groups", false, [&](Reader& gr) {
      WechatRobotGroup g;
      g.name = text(gr, "name", true);
      g.scope = gr.string("scope", false).value_or("");
      // A person's messages go to the first group of their scope: a second is never used.
      for (const auto& other : c.groups) {
        if (!g.scope.empty() && other.scope == g.scope) {
          gr.error("scope", "group '" + other.name + "' already has scope " + g.scope +
                                ": messages for it would never reach this group");
          break;
        }
      }
      g.key = secret(gr, "key", dir, true);
      g.mentioned_mobiles = gr.strings("mentioned_mobiles", false);
      for (const auto& m : g.mentioned_mobiles) {
        if (m != "@all" && !all_digits(m, 11)) {
          gr.error("mentioned_mobiles", "each entry must be \"@all\" or an 11-digit mobile");
        }
      }
      c.groups.push_back(std::move(g));
    });
  } else if (groups) {
    r.error("groups", "must be a table {name = \"key\"} or a list of {name, key} tables, got " +
                          type_name(*groups));
  }
  if (c.enabled && groups && c.groups.empty()) r.error("groups", "must name at least one group");
  std::set<std::string> names;
  for (const auto& g : c.groups) {
    if (!names.insert(g.name).second) r.error("groups", "group '" + g.name + "' is given twice");
  }
}

void read_app(Reader& r, WechatAppConfig& c, const fs::path& dir) {
  c.enabled = r.boolean("enabled", false).value_or(false);
  http_url(r, "base_url", c.base_url, false);
  c.corp_id = text(r, "corp_id", c.enabled);
  c.corp_secret = secret(r, "corp_secret", dir, c.enabled);
  if (auto a = r.integer_in("agent_id", 1, 2147483647, "(the application's AgentId)", c.enabled)) {
    c.agent_id = *a;
  }
}

void read_aliyun(Reader& r, SmsAliyunConfig& c, const fs::path& dir) {
  c.enabled = r.boolean("enabled", false).value_or(false);
  http_url(r, "endpoint", c.endpoint, false);
  c.access_key_id = text(r, "access_key_id", c.enabled);
  c.access_key_secret = secret(r, "access_key_secret", dir, c.enabled);
  c.sign_name = text(r, "sign_name", c.enabled);
  if (auto v = r.string("region", false)) c.region = *v;
  c.templates = templates(r, c.enabled);
}

void read_tencent(Reader& r, SmsTencentConfig& c, const fs::path& dir) {
  c.enabled = r.boolean("enabled", false).value_or(false);
  http_url(r, "endpoint", c.endpoint, false);
  c.secret_id = text(r, "secret_id", c.enabled);
  c.secret_key = secret(r, "secret_key", dir, c.enabled);
  c.sdk_app_id = text(r, "sdk_app_id", c.enabled);
  c.sign_name = text(r, "sign_name", c.enabled);
  if (auto v = r.string("region", false)) c.region = *v;
  c.templates = templates(r, c.enabled);
}

void read_webhook(Reader& r, WebhookConfig& c, const fs::path& dir) {
  c.enabled = r.boolean("enabled", false).value_or(false);
  http_url(r, "url", c.url, c.enabled);
  c.bearer_token = secret(r, "bearer_token", dir, false);
  c.hmac_secret = secret(r, "hmac_secret", dir, false);
}

template <class F>
void section(Reader& channels, const char* name, F&& read) {
  if (const toml::table* t = channels.table(name, false)) {
    Reader r(*t, channels.key_path(name), channels.errors());
    read(r);
  }
}

}  // namespace

void read_channels(Reader& channels, Config& c, const fs::path& dir, Errors& errors) {
  (void)errors;
  ChannelsConfig& ch = c.channels;
  section(channels, "http", [&](Reader& r) {
    auto positive = [&](const char* key, int& out) {
      if (auto v = r.integer(key, false)) {
        if (*v <= 0 || *v > 1000) {
          r.error(key, "must be a whole number from 1 to 1000");
        } else {
          out = int(*v);
        }
      }
    };
    positive("max_in_flight", ch.http.max_in_flight);
    positive("max_host_connections", ch.http.max_host_connections);
    positive("timeout_seconds", ch.http.timeout_seconds);
  });
  section(channels, "wechat_robot", [&](Reader& r) { read_robot(r, ch.wechat_robot, dir); });
  section(channels, "wechat_app", [&](Reader& r) { read_app(r, ch.wechat_app, dir); });
  section(channels, "sms_aliyun", [&](Reader& r) { read_aliyun(r, ch.sms_aliyun, dir); });
  section(channels, "sms_tencent", [&](Reader& r) { read_tencent(r, ch.sms_tencent, dir); });
  section(channels, "webhook", [&](Reader& r) { read_webhook(r, ch.webhook, dir); });

  // A person reached through a channel this daemon does not run would never
  // get a message: say so now rather than at the first reminder.
  // (The file channel is left out: it is the default of every person.)
  const std::map<std::string, bool> enabled{{"wechat_robot", ch.wechat_robot.enabled},
                                            {"wechat_app", ch.wechat_app.enabled},
                                            {"sms_aliyun", ch.sms_aliyun.enabled},
                                            {"sms_tencent", ch.sms_tencent.enabled},
                                            {"webhook", ch.webhook.enabled}};
  for (const auto& p : c.people) {
    for (const auto& name : p.channels) {
      auto it = enabled.find(name);
      if (it != enabled.end() && !it->second) {
        channels.error(name, "person '" + p.name + "' is reached through " + name +
                                 ", but [channels." + name + "] is not enabled");
      }
    }
  }
}

namespace {

// The message types each person will be sent, from the rules' audiences (message_types.h) and
// who holds their roles where, with the same fallbacks as the senders (notice_recipients).
// Without `today` every campaign counts (the earliest date leaves none out as over).
std::map<const Person*, std::set<std::string>> types_sent(const Config& c,
                                                          std::optional<Date> today) {
  std::map<const Person*, std::set<std::string>> sent;
  for (const MessageAudience& a : message_audiences(c.rules, today.value_or(Date{}))) {
    auto add = [&](const std::vector<const Person*>& people) {
      for (const Person* p : people) sent[p].insert(a.type);
    };
    switch (a.place) {
      case AudiencePlace::kVillage:
        for (const Village& v : c.villages) {
          add(notice_recipients_or_fallback(c, a.roles, v.township, v.code, ""));
        }
        break;
      case AudiencePlace::kTownship:
        for (const Township& t : c.townships) {
          add(notice_recipients_or_fallback(c, a.roles, t.code, "", ""));
        }
        break;
      case AudiencePlace::kCounty:
        add(notice_recipients(c, a.roles, "", "", "", a.department));
        break;
    }
    // Any assistance officer may be the officer a case names.
    if (std::find(a.roles.begin(), a.roles.end(), "assistance_officer") != a.roles.end()) {
      for (const Person& p : c.people) {
        if (p.role == Role::kAssistanceOfficer) sent[&p].insert(a.type);
      }
    }
  }
  if (c.delivery.digest_window.count() > 0) {
    for (auto& [p, types] : sent) {
      if (std::any_of(types.begin(), types.end(), [](const auto& t) { return is_digestible(t); }))
        types.insert("digest");
    }
  }
  return sent;
}

}  // namespace

void check_reach(Reader& top, const Config& c, Errors& errors) {
  const toml::node* list = top.table().get("people");
  if (!list || !list->is_array()) return;
  const std::map<const Person*, std::set<std::string>> sent = types_sent(c, errors.today);
  const std::map<std::string, const std::map<std::string, SmsTemplate>*> sms{
      {"sms_aliyun", c.channels.sms_aliyun.enabled ? &c.channels.sms_aliyun.templates : nullptr},
      {"sms_tencent",
       c.channels.sms_tencent.enabled ? &c.channels.sms_tencent.templates : nullptr}};
  size_t next = 0;  // c.people holds the tables of the list, in order
  const toml::array& people = *list->as_array();
  for (size_t i = 0; i < people.size() && next < c.people.size(); ++i) {
    const toml::table* t = people.get(i)->as_table();
    if (!t) continue;
    const Person& p = c.people[next++];
    const toml::node* at = t->get("channels");
    auto error = [&](std::string message) {
      errors.add(at ? at->source() : t->source(),
                 "people[" + Reader::item_label(*people.get(i), i) + "].channels",
                 std::move(message));
    };
    for (const std::string& channel : p.channels) {
      if (channel == "wechat_robot" && c.channels.wechat_robot.enabled &&
          !find_robot_group(c.channels.wechat_robot, address_for(p, channel))) {
        error("no group of [channels.wechat_robot] has scope " + p.scope + " (or is named " +
              address_for(p, channel) + "): no message could reach " + p.name + " there");
      }
      auto templates = sms.find(channel);
      if (templates == sms.end() || !templates->second) continue;
      std::vector<std::string> missing;
      if (auto types = sent.find(&p); types != sent.end()) {
        for (const std::string& type : types->second) {
          if (!templates->second->count(type)) missing.push_back(type);
        }
      }
      if (!missing.empty()) {
        error(p.name + " will be sent " + joined(missing) + " on " + channel + ", but [channels." +
              channel + "] templates has no template for them (the provider would refuse each)");
      }
    }
  }
}

}  // namespace fangfan::config_detail
