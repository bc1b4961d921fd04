// Terminal-safe text: every human-readable output (ls, show, lint, diff, stats, the replay
// report, log lines) passes recorded or live data through EscapeControls, so a recorded
// upstream, a session name or a client under test cannot send escape sequences to the
// developer's terminal (`\e]0;TITLE\a` retitles it, `\e[2J` clears it). JSON outputs are not
// escaped this way: they stay JSON (their encoder already escapes control characters).
//
// What is escaped: C0 controls (U+0000-U+001F) and DEL as `\xNN` (`\e` as `\x1b`), C1
// controls (U+0080-U+009F) as `\u0080`..`\u009f`, and bytes that are not valid UTF-8 as
// `\xNN`; a backslash stays a backslash. Line feeds and tabs are kept when the text is
// several lines of our own output (kKeepLineBreaks), escaped when it is one field
// (kOneLine). Pure functions; thread-safe.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace wsr {

enum class LineBreaks { kKeepLineBreaks, kOneLine };

std::string EscapeControls(std::string_view text, LineBreaks breaks = LineBreaks::kOneLine);

// Writes EscapeControls(text, kKeepLineBreaks) to `out` (no newline added).
void PrintSafe(std::FILE* out, std::string_view text);

// printf, then PrintSafe: for human-readable lines whose arguments carry recorded data.
void PrintfSafe(std::FILE* out, const char* format, ...) __attribute__((format(printf, 2, 3)));

}  // namespace wsr
