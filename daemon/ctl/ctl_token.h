// `fangfanctl token ...`: API tokens, straight on the database named by the
// configuration, so no running daemon is needed (the first county admin token
// is made this way). Applies pending schema migrations first, like the daemon.
//
//   token create --role ROLE --scope CODE --name WHO [--json]
//       prints the new token once (only its hash is stored); ROLE and CODE are
//       checked against the configuration (auth.h check_token_grant)
//   token list [--all] [--json]       active tokens (--all: revoked ones too)
//   token revoke ID                   revoked at once: the next request with it is a 401
//
// Exit status: 0 done, 1 the database refused or the token does not exist, 2 a
// usage error. Messages go to `err`, results to `out`.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "adapters/config/config.h"
#include "workflows/clock.h"

namespace fangfan {

// `args` are the words after "fangfanctl token".
int run_token_command(const std::vector<std::string>& args, const Config& config,
                      const Clock& clock, std::ostream& out, std::ostream& err);

}  // namespace fangfan
