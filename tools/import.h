// `wsreplay import`: reads a JSON Lines export or a HAR into a cassette, redacting secrets
// with the same rules as `record`, in one transaction (all or nothing; a cassette created by
// a failed import is removed again). Not thread-safe; one call per process is the use.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "recorder/redactor.h"

namespace wsr::tools {

enum class ImportFormat { kJsonl, kHar };

struct ImportOptions {
  std::optional<ImportFormat> format;       // guessed from extension/content when absent
  std::optional<std::string> session_name;  // default: from the file (jsonl) or its name (har)
  RedactionRules rules;
  std::string tool_version;
};

struct ImportSummary {
  ImportFormat format = ImportFormat::kJsonl;
  std::vector<std::string> sessions;
  int connections = 0;
  int64_t frames = 0;
  std::vector<std::string> notes;  // what the source lacked, for stderr
};

ImportSummary ImportFile(const std::string& file, const std::string& cassette_path,
                         const ImportOptions& options);

// "jsonl" / "har" -> format; throws wsr::Error otherwise.
ImportFormat ParseImportFormat(const std::string& name);

}  // namespace wsr::tools
