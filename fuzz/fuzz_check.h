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
