// Request signing for the SMS gateways, as pure functions (OpenSSL HMAC/SHA),
// checked against the providers' own documented test vectors
// (tests/adapters/channels_signing_test.cpp).
//
// Alibaba Cloud RPC signature v1 (HMAC-SHA1): StringToSign = METHOD + "&" +
// enc("/") + "&" + enc(sorted "enc(k)=enc(v)" joined by "&"), key = secret +
// "&", Base64. enc is RFC 3986 percent-encoding (space %20, '*' %2A, '~' kept).
// Tencent Cloud API 3.0 (TC3-HMAC-SHA256): canonical request over method, "/",
// empty query, the content-type and host headers and SHA-256 of the payload;
// key derived from "TC3" + SecretKey, the UTC date, the service and
// "tc3_request"; hex signature.
// Nothing here logs or keeps a secret. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace fangfan {

std::string hmac_sha1(std::string_view key, std::string_view data);    // raw bytes
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw bytes
std::string sha256_digest_hex(std::string_view data);
std::string hex(std::string_view bytes);  // lower case
std::string base64(std::string_view bytes);
// RFC 3986 unreserved characters kept, everything else %XX (upper case).
std::string percent_encode(std::string_view s);
// Decodes %XX and (form encoding) '+' as space; nullopt-free: bad escapes kept as is.
std::string percent_decode(std::string_view s);

// Alibaba: "k=v&..." with keys sorted, both percent-encoded (the canonicalized query).
std::string aliyun_canonical_query(const std::map<std::string, std::string>& params);
// The Signature value for `params` (all parameters except Signature itself).
std::string aliyun_rpc_signature(std::string_view method,
                                 const std::map<std::string, std::string>& params,
                                 std::string_view access_key_secret);

struct Tc3Input {
  std::string secret_id;
  std::string secret_key;
  std::string service;       // e.g. "sms", "cvm"
  std::string host;          // the Host header, e.g. "sms.tencentcloudapi.com"
  std::string content_type;  // e.g. "application/json; charset=utf-8"
  std::string action;        // X-TC-Action; signed (lower case) when signed_action
  bool sign_action = false;  // SignedHeaders "content-type;host;x-tc-action"
  std::int64_t timestamp = 0;
  std::string payload;
};

// "2019-02-25" of a Unix timestamp (UTC).
std::string utc_date(std::int64_t timestamp);
std::string tc3_signature(const Tc3Input& in);      // hex
std::string tc3_authorization(const Tc3Input& in);  // the Authorization header value

}  // namespace fangfan
