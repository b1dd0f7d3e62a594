// Fuzz target: the TOML configuration loader (adapters/config/config.h, load_config_text), as
// `fangfand --check-config` runs it but without secrets. The file's folder does not exist, so
// every file the text names (calendar, templates) is missing rather than read from the machine.
// Properties: no exception escapes (load_config_text returns errors as values); a refusal lists
// at least one error, each naming the file and a line or key, and a sentence.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>
#include <variant>
#include <vector>

#include "adapters/config/config.h"
#include "fuzz/fuzz_check.h"
#include "workflows/date.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fangfan;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::filesystem::path where = "/nonexistent/fangfan-fuzz/fangfan.toml";
  LoadOptions options;
  options.read_secrets = false;
  options.today = parse_date("2026-06-01");
  const ConfigResult result = load_config_text(text, where, options);
  if (const auto* errors = std::get_if<std::vector<ConfigError>>(&result)) {
    FUZZ_CHECK(!errors->empty(), "a refusal says at least one thing");
    for (const ConfigError& e : *errors) {
      FUZZ_CHECK(e.file == where.string(), "an error names the file");
      FUZZ_CHECK(e.line > 0 || !e.key.empty(), "an error names its line or key");
      FUZZ_CHECK(!e.message.empty(), "an error says why");
      FUZZ_CHECK(!e.to_string().empty(), "an error prints");
    }
  } else {
    const auto& config = std::get<std::shared_ptr<const Config>>(result);
    FUZZ_CHECK(config != nullptr, "a loaded config exists");
  }
  return 0;
}
