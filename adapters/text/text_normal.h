// Text from outside put in its one canonical form before the core's rules (workflows/
// text_rules.h) judge it: Unicode NFC (a precomposed character and its decomposed spelling, or
// a CJK compatibility ideograph and its unified one, become the same string), and in free text
// a CR LF pair or a lone CR becomes LF. Single-line text keeps its CR, so the core refuses it
// rather than have this layer repair a code or a name silently.
//
// The one place every way in (the API's decoder, imports, department feeds) normalises a case
// event, so that two spellings of one name cannot be two different strings.
// Uses utf8proc (Unicode data); text that is not well-formed UTF-8 is returned unchanged, for
// the core to refuse with the position of the bad byte.
// Thread-safety: pure functions (utf8proc keeps no state).
#pragma once

#include <string>
#include <string_view>

#include "workflows/case_events.h"
#include "workflows/text_rules.h"

namespace fangfan {

// `text` in NFC; unchanged when it is not well-formed UTF-8.
std::string to_nfc(std::string_view text);

// `text` normalised as a field of `shape` (NFC; CR LF and CR to LF in free text).
std::string normalize_text(std::string_view text, TextShape shape);

// Every text of `event` normalised in place, each by the shape of its field
// (shape_of_field in text_rules.h).
void normalize_event_text(CaseEvent& event);

}  // namespace fangfan
