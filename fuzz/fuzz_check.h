// What a fuzz target asserts when a property fails: FUZZ_CHECK aborts with the condition and a
// note, so both libFuzzer (a crash, its input saved) and the replay driver (a failed test) see
// it. A plain assert would vanish under NDEBUG, which RelWithDebInfo builds define.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition, note)                                                             \
  do {                                                                                          \
    if (!(condition)) {                                                                         \
      std::fprintf(stderr, "%s:%d: property failed: %s (%s)\n", __FILE__, __LINE__, #condition, \
                   note);                                                                       \
      std::abort();                                                                             \
    }                                                                                           \
  } while (false)

#include <string_view>

#include "workflows/utf8.h"

// A sentence for a person (an error, a reason): not empty and UTF-8. On failure it is printed,
// its bad bytes escaped, so the report shows what the parser said.
#define FUZZ_CHECK_SENTENCE(text, note)                                                \
  do {                                                                                 \
    const std::string_view fuzz_text_ = (text);                                        \
    if (fuzz_text_.empty() || !fangfan::is_well_formed_utf8(fuzz_text_)) {             \
      std::fprintf(stderr, "sentence: \"%s\"\n",                                       \
                   fangfan::escape_invalid_utf8(fuzz_text_).c_str());                  \
    }                                                                                  \
    FUZZ_CHECK(!fuzz_text_.empty() && fangfan::is_well_formed_utf8(fuzz_text_), note); \
  } while (false)
