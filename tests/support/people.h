// Fictional people for tests: names, GB 11643 ID numbers with correct check
// characters, mainland mobile numbers and whole households, all determined by
// the seed (the same seed gives the same people on every platform; no
// std::*_distribution, whose output is implementation-defined).
//
// Never real people: names are drawn from common characters at random, ID
// numbers from random birth dates and sequences under a few county codes.
// Thread-safety: one generator per thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "workflows/clock.h"
#include "workflows/household.h"

namespace fangfan::testing {

struct Person {
  std::string name;
  std::string id_number;
  std::string phone;
  Date birth_date{};
  bool male = false;
};

class PeopleGenerator {
 public:
  explicit PeopleGenerator(std::uint64_t seed);

  // A uniformly drawn integer in [lo, hi]. REQUIRES: lo <= hi.
  std::int64_t uniform(std::int64_t lo, std::int64_t hi);
  bool chance(int percent);

  std::string name();
  // A valid ID number for someone born on `birth` of the given sex.
  std::string id_number(Date birth, bool male);
  std::string mobile();
  // Someone born between 1940-01-01 and 2015-12-31.
  Person person();

  // A household of `size` members (>= 1): a head aged 30..75, a spouse, then
  // children and parents. At least one member can work unless
  // `nobody_can_work`. Valid for household_problems() on any later date.
  Household household(const std::string& code, const std::string& village_code, int size,
                      bool nobody_can_work = false);

 private:
  std::uint64_t next();
  std::uint64_t state_;
};

}  // namespace fangfan::testing
