// Fuzz target: the ID number parser and the masks (workflows/id_number.h). Properties: a valid
// ID number re-formats to itself from its parts (area, birth date, sequence, check character)
// and is its own normal form; a refusal is a sentence beginning "身份证号" that never repeats the
// number; normalising is idempotent; masks hide what id_number.h says they hide.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "workflows/date.h"
#include "workflows/id_number.h"
#include "workflows/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fangfan;
  const std::string_view id(reinterpret_cast<const char*>(data), size);
  const Date today = *parse_date("2026-06-01");

  const std::string normal = normalize_id_number(id);
  FUZZ_CHECK(normalize_id_number(normal) == normal, "normalising is idempotent");

  if (const auto problem = id_number_problem(id, today)) {
    FUZZ_CHECK(problem->starts_with("身份证号"), "a refusal names the ID number");
    FUZZ_CHECK(is_well_formed_utf8(*problem), "a refusal is UTF-8");
    // (Only for number-like input: a few words of the sentence itself are not an ID number.)
    if (std::count_if(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; }) >= 11) {
      FUZZ_CHECK(problem->find(id) == std::string::npos, "never repeats the number");
    }
  } else {
    FUZZ_CHECK(id.size() == 18, "a valid ID number has 18 characters");
    FUZZ_CHECK(normal == id, "a valid ID number is its own normal form");
    const Date birth = id_birth_date(id);
    FUZZ_CHECK(birth <= today, "born on or before today");
    std::string birth_text = format_date(birth);  // YYYY-MM-DD
    std::erase(birth_text, '-');
    const bool male = id_is_male(id);
    FUZZ_CHECK(male == ((id[16] - '0') % 2 == 1), "odd sequence is male");
    std::string again = std::string(id.substr(0, 6)) + birth_text + std::string(id.substr(14, 3));
    again += id_check_char(again);
    FUZZ_CHECK(again == id, "a valid ID number re-formats to itself");
    const std::string masked = mask_id_number(id);
    FUZZ_CHECK(masked == std::string(id.substr(0, 6)) + "********" + std::string(id.substr(14)),
               "the mask keeps the area and the last four");
  }

  const std::string masked = mask_id_number(id);
  const bool ascii = std::all_of(id.begin(), id.end(), [](char c) { return (c & 0x80) == 0; });
  if (id.size() >= 11 && id.size() <= 18 && ascii) {
    FUZZ_CHECK(masked.size() == id.size(), "a mask keeps the length");
  } else {
    FUZZ_CHECK(masked.find_first_not_of('*') == std::string::npos, "masked completely");
  }
  const std::string phone = mask_phone(id);
  if (is_mainland_mobile(id)) {
    FUZZ_CHECK(phone == std::string(id.substr(0, 3)) + "****" + std::string(id.substr(7)),
               "a mobile keeps its first three and last four");
  }
  if (is_well_formed_utf8(id)) FUZZ_CHECK(is_well_formed_utf8(mask_name(id)), "name mask UTF-8");
  return 0;
}
