#include "common/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/terminal_text.h"

namespace wsr {
namespace {

std::string Grouped(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string Bytes(int64_t n) {
  if (n < 1024) return std::to_string(n) + " B";
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n) / 1024;
  int u = 0;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[u]);
  return buf;
}

}  // namespace

bool Progress::ShouldDraw(int fd, const char* term) {
  if (!::isatty(fd)) return false;
  return !(term && std::strcmp(term, "dumb") == 0);
}

std::unique_ptr<Progress> Progress::ForStderr(std::string label, Options options) {
  Sink sink;
  if (ShouldDraw(STDERR_FILENO, std::getenv("TERM"))) {
    winsize ws{};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) options.width = ws.ws_col;
    sink = [](std::string_view s) {
      std::fwrite(s.data(), 1, s.size(), stderr);
      std::fflush(stderr);
    };
  }
  return std::make_unique<Progress>(std::move(label), std::move(options), std::move(sink));
}

Progress::Progress(std::string label, Options options, Sink sink, Clock clock)
    : label_(EscapeControls(label)),
      options_(std::move(options)),
      sink_(std::move(sink)),
      clock_(clock ? std::move(clock) : Clock([] { return std::chrono::steady_clock::now(); })) {
  // A command that ends within one interval never draws (no flicker for small inputs).
  if (sink_) last_draw_ = clock_();
}

Progress::~Progress() { Finish(); }

std::string Progress::Format(int64_t done) const {
  auto amount = [this](int64_t n) { return options_.unit == Unit::kBytes ? Bytes(n) : Grouped(n); };
  std::string out;
  if (total_ > 0) {
    int64_t clamped = done < 0 ? 0 : (done > total_ ? total_ : done);
    int pct = static_cast<int>(static_cast<double>(clamped) * 100 / static_cast<double>(total_));
    out += std::to_string(pct) + "% (" + amount(done) + " of " + amount(total_);
    if (options_.unit == Unit::kItems) out += " " + options_.items;
    out += ")";
  } else {
    out += amount(done);
    if (options_.unit == Unit::kItems) out += " " + options_.items;
  }
  std::string label = label_;
  if (options_.width > 0 && label.size() + 2 + out.size() > options_.width - 1) {
    // Shorten the label (keeping its end, the file name) to fit; the numbers stay whole.
    size_t room = options_.width - 1 > out.size() + 5 ? options_.width - 1 - out.size() - 5 : 0;
    size_t cut = label.size() - std::min(room, label.size());
    while (cut < label.size() && (static_cast<unsigned char>(label[cut]) & 0xC0) == 0x80) ++cut;
    label = "..." + label.substr(cut);
  }
  return label + ": " + out;
}

void Progress::Update(int64_t done) {
  if (!sink_ || finished_) return;
  auto now = clock_();
  if (now - last_draw_ < options_.interval) return;
  last_draw_ = now;
  std::string text = Format(done);
  std::string line = "\r" + text;
  if (text.size() < last_width_) line.append(last_width_ - text.size(), ' ');
  last_width_ = std::max(last_width_, text.size());
  drawn_ = true;
  sink_(line);
}

void Progress::Finish() {
  if (finished_) return;
  finished_ = true;
  if (!sink_ || !drawn_) return;
  sink_("\r" + std::string(last_width_, ' ') + "\r");
}

}  // namespace wsr
