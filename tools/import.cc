#include "tools/import.h"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <memory>

#include "cassettes/cassette.h"
#include "common/error.h"
#include "common/progress.h"
#include "tools/atomic_output.h"
#include "tools/edit.h"
#include "tools/har.h"
#include "tools/jsonl.h"

namespace wsr::tools {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Guesses from the extension, else from the first bytes of the file (`head`): a wsreplay
// JSON Lines header line, or a JSON object with a "log" member (a HAR).
ImportFormat Guess(const std::string& file, const std::string& head) {
  if (EndsWith(file, ".har")) return ImportFormat::kHar;
  if (EndsWith(file, ".jsonl") || EndsWith(file, ".ndjson")) return ImportFormat::kJsonl;
  size_t first = head.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && head.compare(first, 1, "{") == 0) {
    size_t eol = head.find('\n', first);
    std::string line =
        head.substr(first, eol == std::string::npos ? std::string::npos : eol - first);
    if (line.find("\"wsreplay-jsonl\"") != std::string::npos) return ImportFormat::kJsonl;
    if (head.find("\"log\"") != std::string::npos) return ImportFormat::kHar;
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

std::string MiB(uint64_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB"; }

// Imports `file` into the new, empty cassette `scratch` (in one transaction).
void ImportInto(const std::string& file, uint64_t size, cassette::Cassette& scratch,
                const ImportOptions& options, ImportSummary* summary) {
  Redactor redactor(options.rules);
  scratch.Begin();
  if (summary->format == ImportFormat::kJsonl) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw Error("cannot read '" + file + "'");
    auto counts = ImportJsonl(in, scratch, redactor, options.session_name, options.limits);
    summary->sessions = counts.session_names;
    summary->connections = counts.connections;
    summary->frames = counts.frames;
    summary->exchanges = counts.exchanges;
    if (counts.sessions == 0) throw Error("'" + file + "' holds no session");
  } else {
    if (size > options.limits.max_har_bytes) {
      throw Error("the HAR is " + MiB(size) + "; import reads a HAR (one JSON document, held " +
                  "whole) up to " + MiB(options.limits.max_har_bytes) +
                  "; split it or import the session as JSON Lines");
    }
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(file.c_str(), "rb"),
                                                       &std::fclose);
    if (!in) throw Error("cannot read '" + file + "'");
    auto r = ImportHarFile(in.get(), scratch, redactor, options.session_name.value_or(Stem(file)),
                           options.tool_version, options.limits);
    summary->sessions = {r.session_name};
    summary->connections = r.connections;
    summary->frames = r.frames;
    summary->exchanges = r.exchanges;
    summary->notes = r.notes;
  }
  scratch.Commit();
  scratch.Seal();
}

}  // namespace

ImportFormat ParseImportFormat(const std::string& name) {
  if (name == "jsonl") return ImportFormat::kJsonl;
  if (name == "har") return ImportFormat::kHar;
  throw Error("unknown format '" + name + "' (use jsonl or har)");
}

ImportSummary ImportFile(const std::string& file, const std::string& cassette_path,
                         const ImportOptions& options) {
  struct stat st;
  std::ifstream probe(file, std::ios::binary);
  if (!probe || ::stat(file.c_str(), &st) != 0) {
    throw Error("cannot read '" + file + "': no such file or not readable");
  }
  std::string head(64 * 1024, '\0');
  probe.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(probe.gcount()));
  probe.close();

  ImportSummary summary;
  summary.format = options.format ? *options.format : Guess(file, head);
  ProgressTotal(options.limits.progress, static_cast<int64_t>(st.st_size));

  bool existed = PathExists(cassette_path);
  try {
    // An existing output must be a cassette this build can write: checked read-only, first.
    if (existed) cassette::Cassette::Open(cassette_path, cassette::Cassette::Mode::kReadOnly);
    TempOutput scratch(cassette_path);
    {
      auto c = cassette::Cassette::Open(scratch.path(), cassette::Cassette::Mode::kEditCreate);
      ImportInto(file, static_cast<uint64_t>(st.st_size), *c, options, &summary);
    }
    if (existed) {
      {
        auto out = cassette::Cassette::Open(cassette_path, cassette::Cassette::Mode::kReadOnly);
        for (const auto& name : summary.sessions) {
          if (out->FindSession(name)) {
            throw Error("cassette '" + cassette_path + "' already has a session named '" + name +
                        "'; choose another --session or remove it with `wsreplay sessions " +
                        cassette_path + " rm " + name + "`");
          }
        }
      }
      MergeCassettes(cassette_path, {scratch.path()});
    } else {
      scratch.Commit(/*replace=*/false);
    }
  } catch (const std::exception& e) {  // wsr::Error, and nlohmann's on odd values
    throw Error("importing '" + file + "': " + e.what());
  }
  return summary;
}

}  // namespace wsr::tools
