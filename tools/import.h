// `wsreplay import`: reads a JSON Lines export or a HAR into a cassette, redacting secrets
// with the same rules as `record`, all or nothing.
//
// The input is first imported into a new scratch cassette next to the output
// ("<OUT>.tmp-<pid>"), so every check of the input (format, limits, session names) runs
// before the output is opened for writing. A new output is then that file, renamed into
// place; an existing one gets the sessions copied in one transaction, after a read-only check
// that their names are free, and stays a single file (journal_mode=DELETE). A failure leaves
// an existing output byte-identical and creates nothing. Memory is bounded whatever the input
// (see ImportLimits). Not thread-safe; one call per process is the use.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "recorder/redactor.h"
#include "tools/import_limits.h"

namespace wsr::tools {

enum class ImportFormat { kJsonl, kHar };

struct ImportOptions {
  std::optional<ImportFormat> format;       // guessed from extension/content when absent
  std::optional<std::string> session_name;  // default: from the file (jsonl) or its name (har)
  RedactionRules rules;
  std::string tool_version;
  ImportLimits limits;  // limits.progress: bytes of the input read so far
};

struct ImportSummary {
  ImportFormat format = ImportFormat::kJsonl;
  std::vector<std::string> sessions;
  int connections = 0;
  int64_t frames = 0, exchanges = 0;
  std::vector<std::string> notes;  // what the source lacked, for stderr
};

ImportSummary ImportFile(const std::string& file, const std::string& cassette_path,
                         const ImportOptions& options);

// "jsonl" / "har" -> format; throws wsr::Error otherwise.
ImportFormat ParseImportFormat(const std::string& name);

}  // namespace wsr::tools
