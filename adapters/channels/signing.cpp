#include "adapters/channels/signing.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <cstdio>
#include <ctime>

namespace fangfan {

namespace {

std::string hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

}  // namespace

std::string hmac_sha1(std::string_view key, std::string_view data) {
  return hmac(EVP_sha1(), key, data);
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  return hmac(EVP_sha256(), key, data);
}

std::string hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string sha256_digest_hex(std::string_view data) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return hex(std::string_view(reinterpret_cast<const char*>(out), sizeof out));
}

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(bytes.data()), int(bytes.size()));
  out.resize(size_t(n));
  return out;
}

std::string percent_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += char(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string percent_decode(std::string_view s) {
  auto val = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && val(s[i + 1]) >= 0 && val(s[i + 2]) >= 0) {
      out += char(val(s[i + 1]) * 16 + val(s[i + 2]));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string aliyun_canonical_query(const std::map<std::string, std::string>& params) {
  std::map<std::string, std::string> encoded;  // sorted by the encoded key
  for (const auto& [k, v] : params) encoded[percent_encode(k)] = percent_encode(v);
  std::string out;
  for (const auto& [k, v] : encoded) {
    if (!out.empty()) out += '&';
    out += k + "=" + v;
  }
  return out;
}

std::string aliyun_rpc_signature(std::string_view method,
                                 const std::map<std::string, std::string>& params,
                                 std::string_view access_key_secret) {
  const std::string to_sign = std::string(method) + "&" + percent_encode("/") + "&" +
                              percent_encode(aliyun_canonical_query(params));
  return base64(hmac_sha1(std::string(access_key_secret) + "&", to_sign));
}

std::string utc_date(std::int64_t timestamp) {
  const time_t t = time_t(timestamp);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return buf;
}

namespace {

std::string tc3_signed_headers(const Tc3Input& in) {
  return in.sign_action ? "content-type;host;x-tc-action" : "content-type;host";
}

std::string tc3_lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  }
  return s;
}

}  // namespace

std::string tc3_signature(const Tc3Input& in) {
  std::string canonical_headers =
      "content-type:" + tc3_lower(in.content_type) + "\nhost:" + tc3_lower(in.host) + "\n";
  if (in.sign_action) canonical_headers += "x-tc-action:" + tc3_lower(in.action) + "\n";
  const std::string canonical_request = "POST\n/\n\n" + canonical_headers + "\n" +
                                        tc3_signed_headers(in) + "\n" +
                                        sha256_digest_hex(in.payload);
  const std::string date = utc_date(in.timestamp);
  const std::string scope = date + "/" + in.service + "/tc3_request";
  const std::string to_sign = "TC3-HMAC-SHA256\n" + std::to_string(in.timestamp) + "\n" + scope +
                              "\n" + sha256_digest_hex(canonical_request);
  const std::string secret_date = hmac_sha256("TC3" + in.secret_key, date);
  const std::string secret_service = hmac_sha256(secret_date, in.service);
  const std::string secret_signing = hmac_sha256(secret_service, "tc3_request");
  return hex(hmac_sha256(secret_signing, to_sign));
}

std::string tc3_authorization(const Tc3Input& in) {
  return "TC3-HMAC-SHA256 Credential=" + in.secret_id + "/" + utc_date(in.timestamp) + "/" +
         in.service + "/tc3_request, SignedHeaders=" + tc3_signed_headers(in) +
         ", Signature=" + tc3_signature(in);
}

}  // namespace fangfan
