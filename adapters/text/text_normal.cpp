#include "adapters/text/text_normal.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

#include "workflows/text_walk.h"
#include "workflows/utf8.h"

namespace fangfan {

std::string to_nfc(std::string_view text) {
  // ASCII is its own NFC: most codes, numbers and dates skip the library.
  bool ascii = true;
  for (char c : text) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii || !is_well_formed_utf8(text)) return std::string(text);
  utf8proc_uint8_t* out = nullptr;
  const utf8proc_ssize_t n =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                   static_cast<utf8proc_ssize_t>(text.size()), &out,
                   static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(out, &std::free);
  if (n < 0) return std::string(text);
  return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
}

std::string normalize_text(std::string_view text, TextShape shape) {
  std::string out = to_nfc(text);
  if (shape == TextShape::kFreeText && out.find('\r') != std::string::npos) {
    std::string lf;
    lf.reserve(out.size());
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (out[i] != '\r') {
        lf += out[i];
      } else if (i + 1 >= out.size() || out[i + 1] != '\n') {
        lf += '\n';  // a lone CR (old Mac files) is a line break too
      }
    }
    out = std::move(lf);
  }
  return out;
}

void normalize_event_text(CaseEvent& event) {
  text_walk::walk_event(event, [](std::string& text, const std::string& path) {
    text = normalize_text(text, shape_of_field(path));
    return false;  // every field
  });
}

}  // namespace fangfan
