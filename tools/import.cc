#include "tools/import.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "cassettes/cassette.h"
#include "common/error.h"
#include "tools/har.h"
#include "tools/jsonl.h"

namespace wsr::tools {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

ImportFormat Guess(const std::string& file, const std::string& text) {
  if (EndsWith(file, ".har")) return ImportFormat::kHar;
  if (EndsWith(file, ".jsonl") || EndsWith(file, ".ndjson")) return ImportFormat::kJsonl;
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text.compare(first, 1, "{") == 0) {
    size_t eol = text.find('\n', first);
    std::string line =
        text.substr(first, eol == std::string::npos ? std::string::npos : eol - first);
    if (line.find("\"wsreplay-jsonl\"") != std::string::npos) return ImportFormat::kJsonl;
    if (LooksLikeHar(text)) return ImportFormat::kHar;
  }
  throw Error("cannot tell the format of '" + file +
              "' (neither a wsreplay JSON Lines export nor a HAR); pass --from jsonl|har");
}

std::string Stem(const std::string& file) {
  std::string base = file.substr(file.find_last_of('/') + 1);
  size_t dot = base.find_last_of('.');
  if (dot != std::string::npos && dot > 0) base.resize(dot);
  return base.empty() ? "imported" : base;
}

void RemoveCassetteFiles(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((path + suffix).c_str());
}

}  // namespace

ImportFormat ParseImportFormat(const std::string& name) {
  if (name == "jsonl") return ImportFormat::kJsonl;
  if (name == "har") return ImportFormat::kHar;
  throw Error("unknown format '" + name + "' (use jsonl or har)");
}

ImportSummary ImportFile(const std::string& file, const std::string& cassette_path,
                         const ImportOptions& options) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error("cannot read '" + file + "': no such file or not readable");
  std::stringstream buf;
  buf << in.rdbuf();
  std::string text = buf.str();

  ImportSummary summary;
  summary.format = options.format ? *options.format : Guess(file, text);
  Redactor redactor(options.rules);

  struct stat st;
  bool existed = ::stat(cassette_path.c_str(), &st) == 0;
  std::unique_ptr<cassette::Cassette> out;
  try {
    out = cassette::Cassette::Open(cassette_path, cassette::Cassette::Mode::kCreate);
    out->Begin();
    if (summary.format == ImportFormat::kJsonl) {
      std::istringstream lines(text);
      auto counts = ImportJsonl(lines, *out, redactor, options.session_name);
      summary.sessions = counts.session_names;
      summary.connections = counts.connections;
      summary.frames = counts.frames;
      if (counts.sessions == 0) throw Error("'" + file + "' holds no session");
    } else {
      auto r = ImportHar(text, *out, redactor, options.session_name.value_or(Stem(file)),
                         options.tool_version);
      summary.sessions = {r.session_name};
      summary.connections = r.connections;
      summary.frames = r.frames;
      summary.notes = r.notes;
    }
    out->Commit();
    out->Seal();
  } catch (const std::exception& e) {  // wsr::Error, and nlohmann's on odd values
    if (out) out->Rollback();
    out.reset();
    if (!existed) RemoveCassetteFiles(cassette_path);
    throw Error("importing '" + file + "': " + e.what());
  }
  return summary;
}

}  // namespace wsr::tools
