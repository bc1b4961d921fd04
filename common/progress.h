// Progress: a one-line progress indicator for the long-running offline commands (import of
// a large file, redact, merge, cut, export to a file).
//
// What it draws: "<label>: 42% (1.5 MiB of 3.6 MiB)" or "<label>: 42% (1,234 of 2,900 frames)"
// (without the percentage and "of" when the total is unknown), on one line that is redrawn in
// place with '\r', at most once per `interval` (100 ms: ~10 times a second), and erased (spaces,
// then '\r') by Finish() or the destructor, so the command's own output and error messages
// start on a clean line. Plain text only: no colour and no escape sequences (control
// characters in the label, e.g. from a file name, are escaped with EscapeControls).
//
// When it draws: ForStderr() gives a Progress that draws on stderr only when stderr is a
// terminal and TERM is not "dumb"; otherwise every call is a no-op and nothing at all is
// written. NO_COLOR is about colour, and progress has none, so NO_COLOR changes nothing (the
// line stays plain text either way); TERM=dumb turns it off, because such terminals (Emacs
// shells, some CI log viewers) show every redraw as a new line.
//
// Tests construct one with their own sink (receives each write) and clock (steady time),
// so formatting and rate limiting are checked without a terminal and without sleeping.
//
// Not thread-safe: one Progress per command, updated from one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace wsr {

class Progress {
 public:
  enum class Unit { kItems, kBytes };
  using Sink = std::function<void(std::string_view)>;
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  struct Options {
    Unit unit = Unit::kItems;
    std::string items = "frames";  // what is counted, for Unit::kItems
    std::chrono::milliseconds interval{100};
    // Terminal columns (0: unknown): a longer line is cut to width - 1 by shortening the
    // label, so a redraw never wraps onto a second line.
    size_t width = 0;
  };

  // Draws on stderr when ShouldDraw(stderr's fd, $TERM); a no-op otherwise.
  static std::unique_ptr<Progress> ForStderr(std::string label, Options options);
  static std::unique_ptr<Progress> ForStderr(std::string label) {
    return ForStderr(std::move(label), Options{});
  }
  // True when `fd` is a terminal and `term` (the TERM value, may be null) is not "dumb".
  static bool ShouldDraw(int fd, const char* term);

  // A progress that writes to `sink` (nullptr: disabled), reading time from `clock`
  // (nullptr: std::chrono::steady_clock).
  Progress(std::string label, Options options, Sink sink, Clock clock = nullptr);
  ~Progress();  // Finish()
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  bool enabled() const { return static_cast<bool>(sink_); }
  // 0: unknown (no percentage is shown).
  void SetTotal(int64_t total) { total_ = total; }
  // Records how much is done; redraws when `interval` has passed since the last redraw (the
  // first call draws at once).
  void Update(int64_t done);
  // Erases the line if anything was drawn; later calls do nothing. Idempotent.
  void Finish();

  // The text of the line for `done` (no '\r'), cut to options.width - 1; exposed for tests.
  std::string Format(int64_t done) const;

 private:
  std::string label_;
  Options options_;
  Sink sink_;
  Clock clock_;
  int64_t total_ = 0;
  bool drawn_ = false;
  bool finished_ = false;
  size_t last_width_ = 0;
  std::chrono::steady_clock::time_point last_draw_{};
};

// Progress calls that accept a null pointer (a command run without progress).
inline void ProgressTotal(Progress* p, int64_t total) {
  if (p) p->SetTotal(total);
}
inline void ProgressUpdate(Progress* p, int64_t done) {
  if (p) p->Update(done);
}

}  // namespace wsr
