// A strict multipart/form-data reader for the fakes (RFC 7578, as a provider's server reads an
// upload): the boundary comes from the Content-Type header; each part needs a
// Content-Disposition "form-data" with a name; parts end at CRLF "--boundary", the body at
// "--boundary--". Anything else is malformed (nullopt) so a test sees a bad body as a refusal.
// Pure; thread-safe. Not for production.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fangfan::testing {

struct FormPart {
  std::string name;
  std::optional<std::string> file_name;       // filename="..." when a file
  std::map<std::string, std::string> params;  // every Content-Disposition parameter
  std::string content_type;                   // the part's Content-Type ("" when none)
  std::string data;
};

// The boundary of a "multipart/form-data; boundary=..." value (quoted or not); "" when none.
std::string multipart_boundary(std::string_view content_type);

std::optional<std::vector<FormPart>> parse_multipart(std::string_view content_type,
                                                     std::string_view body);

// The first part named `name`, or nullptr.
const FormPart* find_part(const std::vector<FormPart>& parts, std::string_view name);

}  // namespace fangfan::testing
