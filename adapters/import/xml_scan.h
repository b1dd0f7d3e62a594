// A small XML scanner for the two big parts of an XLSX file (the worksheet and the shared
// strings), fed in chunks: elements with attributes, text with the five named entities and
// character references decoded, CDATA, comments and processing instructions skipped. It is a
// few times faster than expat on these parts, which is what the feed benchmark needs; the small
// parts keep expat. Namespace prefixes are dropped from names ("x:c" is "c"). Malformed input
// (an end tag that does not match, a truncated document, a DOCTYPE, an unknown entity, a token
// longer than the limit) stops the scan with a reason.
//
// Handler: start(name, attributes), end(name), text(decoded) — text of the document's elements
// only, possibly in several pieces. Views are valid during the call only.
//
// Thread-safety: one scanner per document.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace fangfan {

struct XmlAttr {
  std::string_view name;  // local name
  std::string_view value;
};

class XmlScanner {
 public:
  explicit XmlScanner(std::size_t max_token = 16 * 1024 * 1024) : max_token_(max_token) {}

  // Scans what `data` completes (the rest waits for the next call); `last` ends the document.
  // False once the input is malformed: problem() says why.
  template <class Handler>
  bool feed(Handler& handler, std::string_view data, bool last);

  const std::string& problem() const { return problem_; }

 private:
  bool fail(std::string why) {
    problem_ = std::move(why);
    return false;
  }
  // Decodes entities in [from, to) in place; the decoded text, or false.
  bool decode(char* from, char* to, std::string_view& out);

  std::size_t max_token_;
  std::string buffer_;
  std::vector<std::string> open_;  // names of the open elements (entries beyond depth_ reused)
  std::size_t depth_ = 0;
  std::vector<XmlAttr> attrs_;
  std::string problem_;
};

inline std::string_view xml_local_name(std::string_view name) {
  const std::size_t colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

inline bool xml_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

template <class Handler>
bool XmlScanner::feed(Handler& handler, std::string_view data, bool last) {
  if (!problem_.empty()) return false;
  buffer_.append(data);
  char* const begin = buffer_.data();
  char* const end = begin + buffer_.size();
  char* p = begin;
  bool more = false;  // the token at p is incomplete
  while (p < end) {
    if (*p != '<') {
      char* q = static_cast<char*>(std::memchr(p, '<', static_cast<std::size_t>(end - p)));
      if (q == nullptr) {
        if (!last) {
          more = true;
          break;
        }
        q = end;
      }
      if (depth_ > 0) {
        std::string_view text;
        if (!decode(p, q, text)) return false;
        if (!text.empty()) handler.text(text);
      }
      p = q;
      continue;
    }
    const std::size_t left = static_cast<std::size_t>(end - p);
    auto skip_to = [&](std::string_view close) -> bool {
      const std::string_view rest(p, left);
      const std::size_t at = rest.find(close);
      if (at == std::string_view::npos) return false;
      p += at + close.size();
      return true;
    };
    if (left < 2) {
      more = true;
      break;
    }
    if (p[1] == '?') {
      if (!skip_to("?>")) {
        more = true;
        break;
      }
      continue;
    }
    if (p[1] == '!') {
      if (left < 9) {
        more = true;
        break;
      }
      if (std::string_view(p, 4) == "<!--") {
        if (!skip_to("-->")) {
          more = true;
          break;
        }
        continue;
      }
      if (std::string_view(p, 9) == "<![CDATA[") {
        const std::string_view rest(p, left);
        const std::size_t at = rest.find("]]>");
        if (at == std::string_view::npos) {
          more = true;
          break;
        }
        if (depth_ > 0 && at > 9) handler.text(rest.substr(9, at - 9));
        p += at + 3;
        continue;
      }
      return fail("不支持 DOCTYPE 等声明 (declarations such as DOCTYPE are not supported)");
    }
    // A start or end tag: find its '>' outside quoted attribute values.
    char* gt = p + 1;
    char quote = 0;
    for (; gt < end; ++gt) {
      if (quote != 0) {
        if (*gt == quote) quote = 0;
      } else if (*gt == '"' || *gt == '\'') {
        quote = *gt;
      } else if (*gt == '>') {
        break;
      }
    }
    if (gt == end) {
      more = true;
      break;
    }
    if (p[1] == '/') {
      std::string_view name(p + 2, static_cast<std::size_t>(gt - p - 2));
      while (!name.empty() && xml_space(name.back())) name.remove_suffix(1);
      if (depth_ == 0 || open_[depth_ - 1] != name) {
        return fail("结束标签 </" + std::string(name) + "> 与开始标签不匹配 (the end tag </" +
                    std::string(name) + "> does not match its start tag)");
      }
      --depth_;
      handler.end(xml_local_name(name));
      p = gt + 1;
      continue;
    }
    const bool empty = gt[-1] == '/';
    char* tag_end = empty ? gt - 1 : gt;
    char* q = p + 1;
    while (q < tag_end && !xml_space(*q)) ++q;
    const std::string_view name(p + 1, static_cast<std::size_t>(q - p - 1));
    if (name.empty()) return fail("标签没有名称 (a tag without a name)");
    attrs_.clear();
    for (;;) {
      while (q < tag_end && xml_space(*q)) ++q;
      if (q == tag_end) break;
      char* eq = q;
      while (eq < tag_end && *eq != '=' && !xml_space(*eq)) ++eq;
      const std::string_view attr(q, static_cast<std::size_t>(eq - q));
      while (eq < tag_end && xml_space(*eq)) ++eq;
      if (eq == tag_end || *eq != '=') return fail("属性没有值 (an attribute without a value)");
      ++eq;
      while (eq < tag_end && xml_space(*eq)) ++eq;
      if (eq == tag_end || (*eq != '"' && *eq != '\'')) {
        return fail("属性值没有引号 (an attribute value without quotes)");
      }
      char* close =
          static_cast<char*>(std::memchr(eq + 1, *eq, static_cast<std::size_t>(tag_end - eq - 1)));
      if (close == nullptr) return fail("属性值没有闭合 (an attribute value is not closed)");
      std::string_view value;
      if (!decode(eq + 1, close, value)) return false;
      attrs_.push_back({xml_local_name(attr), value});
      q = close + 1;
    }
    if (open_.size() <= depth_) open_.emplace_back();
    open_[depth_++].assign(name);
    handler.start(xml_local_name(name), attrs_);
    if (empty) {
      --depth_;
      handler.end(xml_local_name(name));
    }
    p = gt + 1;
  }
  if (more && last) return fail("文档不完整 (the document is cut short)");
  if (last && depth_ != 0) return fail("文档不完整 (the document is cut short)");
  buffer_.erase(0, static_cast<std::size_t>(p - begin));
  if (buffer_.size() > max_token_) return fail("XML 片段过长 (an XML token is too long)");
  return true;
}

inline bool XmlScanner::decode(char* from, char* to, std::string_view& out) {
  char* amp = static_cast<char*>(std::memchr(from, '&', static_cast<std::size_t>(to - from)));
  if (amp == nullptr) {
    out = std::string_view(from, static_cast<std::size_t>(to - from));
    return true;
  }
  char* w = amp;
  for (char* r = amp; r < to;) {
    if (*r != '&') {
      *w++ = *r++;
      continue;
    }
    char* semi = static_cast<char*>(std::memchr(r, ';', static_cast<std::size_t>(to - r)));
    if (semi == nullptr || semi - r > 12) return fail("实体引用不完整 (an incomplete entity)");
    const std::string_view entity(r + 1, static_cast<std::size_t>(semi - r - 1));
    if (entity == "lt") {
      *w++ = '<';
    } else if (entity == "gt") {
      *w++ = '>';
    } else if (entity == "amp") {
      *w++ = '&';
    } else if (entity == "quot") {
      *w++ = '"';
    } else if (entity == "apos") {
      *w++ = '\'';
    } else if (entity.size() > 1 && entity[0] == '#') {
      const bool hex = entity[1] == 'x';
      std::uint32_t cp = 0;
      const std::string_view digits = entity.substr(hex ? 2 : 1);
      if (digits.empty()) return fail("字符引用无效 (an invalid character reference)");
      for (char c : digits) {
        int v = -1;
        if (c >= '0' && c <= '9') v = c - '0';
        if (hex && c >= 'a' && c <= 'f') v = c - 'a' + 10;
        if (hex && c >= 'A' && c <= 'F') v = c - 'A' + 10;
        if (v < 0 || cp > 0x10FFFF) return fail("字符引用无效 (an invalid character reference)");
        cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(v);
      }
      if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return fail("字符引用无效 (an invalid character reference)");
      }
      // UTF-8 is never longer than the reference it replaces ("&#N;" is at least 4 bytes).
      if (cp < 0x80) {
        *w++ = static_cast<char>(cp);
      } else if (cp < 0x800) {
        *w++ = static_cast<char>(0xC0 | (cp >> 6));
        *w++ = static_cast<char>(0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        *w++ = static_cast<char>(0xE0 | (cp >> 12));
        *w++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        *w++ = static_cast<char>(0x80 | (cp & 0x3F));
      } else {
        *w++ = static_cast<char>(0xF0 | (cp >> 18));
        *w++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        *w++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        *w++ = static_cast<char>(0x80 | (cp & 0x3F));
      }
    } else {
      return fail("未知的实体 &" + std::string(entity) + "; (an unknown entity)");
    }
    r = semi + 1;
  }
  out = std::string_view(from, static_cast<std::size_t>(w - from));
  return true;
}

}  // namespace fangfan
