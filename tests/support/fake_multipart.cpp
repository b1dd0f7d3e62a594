#include "tests/support/fake_multipart.h"

#include <algorithm>
#include <cctype>

namespace fangfan::testing {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// `form-data; name="a"; filename="b"` -> the first token and the parameters (names lower
// case, quotes removed, no escapes: browsers percent-encode '"' instead).
std::optional<std::pair<std::string, std::map<std::string, std::string>>> parse_disposition(
    std::string_view v) {
  std::map<std::string, std::string> params;
  size_t semi = v.find(';');
  std::string kind = lower(trim(v.substr(0, semi)));
  while (semi != std::string_view::npos) {
    v.remove_prefix(semi + 1);
    v = trim(v);
    const size_t eq = v.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string key = lower(trim(v.substr(0, eq)));
    v.remove_prefix(eq + 1);
    std::string value;
    if (!v.empty() && v.front() == '"') {
      const size_t close = v.find('"', 1);
      if (close == std::string_view::npos) return std::nullopt;
      value = std::string(v.substr(1, close - 1));
      v.remove_prefix(close + 1);
      semi = v.find(';');
      if (!trim(v.substr(0, semi)).empty()) return std::nullopt;
    } else {
      semi = v.find(';');
      value = std::string(trim(v.substr(0, semi)));
    }
    params[key] = value;
  }
  return std::make_pair(kind, params);
}

}  // namespace

std::string multipart_boundary(std::string_view content_type) {
  const std::string l = lower(content_type);
  if (l.rfind("multipart/form-data", 0) != 0) return "";
  const size_t at = l.find("boundary=");
  if (at == std::string::npos) return "";
  std::string_view b = content_type.substr(at + 9);
  b = b.substr(0, b.find(';'));
  b = trim(b);
  if (b.size() >= 2 && b.front() == '"' && b.back() == '"') b = b.substr(1, b.size() - 2);
  return std::string(b);
}

std::optional<std::vector<FormPart>> parse_multipart(std::string_view content_type,
                                                     std::string_view body) {
  const std::string boundary = multipart_boundary(content_type);
  if (boundary.empty()) return std::nullopt;
  const std::string first = "--" + boundary + "\r\n";
  const std::string next = "\r\n--" + boundary;
  if (body.substr(0, first.size()) != first) return std::nullopt;
  size_t pos = first.size();
  std::vector<FormPart> parts;
  for (;;) {
    const size_t headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos) return std::nullopt;
    FormPart part;
    bool disposed = false;
    std::string_view headers = body.substr(pos, headers_end - pos);
    while (!headers.empty()) {
      const size_t eol = headers.find("\r\n");
      std::string_view line = headers.substr(0, eol);
      headers = eol == std::string_view::npos ? std::string_view() : headers.substr(eol + 2);
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos) return std::nullopt;
      const std::string name = lower(trim(line.substr(0, colon)));
      const std::string_view value = trim(line.substr(colon + 1));
      if (name == "content-disposition") {
        auto d = parse_disposition(value);
        if (!d || d->first != "form-data" || !d->second.count("name")) return std::nullopt;
        part.params = d->second;
        part.name = d->second["name"];
        if (auto f = d->second.find("filename"); f != d->second.end()) part.file_name = f->second;
        disposed = true;
      } else if (name == "content-type") {
        part.content_type = std::string(value);
      }
    }
    if (!disposed) return std::nullopt;
    const size_t data_start = headers_end + 4;
    const size_t end = body.find(next, data_start);
    if (end == std::string_view::npos) return std::nullopt;
    part.data = std::string(body.substr(data_start, end - data_start));
    parts.push_back(std::move(part));
    pos = end + next.size();
    if (body.substr(pos, 2) == "--") {
      const std::string_view rest = body.substr(pos + 2);
      if (!rest.empty() && rest != "\r\n") return std::nullopt;
      return parts;
    }
    if (body.substr(pos, 2) != "\r\n") return std::nullopt;
    pos += 2;
  }
}

const FormPart* find_part(const std::vector<FormPart>& parts, std::string_view name) {
  auto it =
      std::find_if(parts.begin(), parts.end(), [&](const FormPart& p) { return p.name == name; });
  return it == parts.end() ? nullptr : &*it;
}

}  // namespace fangfan::testing
