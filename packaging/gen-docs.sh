#!/usr/bin/env bash
# gen-docs.sh BIN COMPLETION_OUT COMMANDS_H2M_OUT
#
# Reads the real --help texts of the built wsreplay binary BIN and writes
#   COMPLETION_OUT     a bash completion script for wsreplay: subcommands, each subcommand's
#                      flags, the choices of flags that list them (e.g. export --format jsonl|har),
#                      file names for flags that take a value and for positionals;
#   COMMANDS_H2M_OUT   a help2man include file whose [COMMANDS] section holds every
#                      subcommand's --help, so the man page documents each command's flags.
# Both are generated at build time (packaging/CMakeLists.txt), so they cannot drift from the
# binary. Parses CLI11's help layout: a "Subcommands:" list and, per command, "Options:" lines
# "  -s,--long TYPE[=DEFAULT|:{a,b}] ...  description". Needs only bash, sed and sort.
set -euo pipefail
if [ $# -ne 3 ]; then
  echo "usage: $0 BIN COMPLETION_OUT COMMANDS_H2M_OUT" >&2
  exit 2
fi
bin=$1 completion_out=$2 h2m_out=$3

# The help text of `wsreplay ARGS... --help`, without colour or terminal-width effects.
help_of() { NO_COLOR=1 COLUMNS=100 "$bin" "$@" --help </dev/null; }

# subcommands HELP: the names in the "Subcommands:" list.
subcommands() {
  sed -n '/^Subcommands:/,/^$/p' <<<"$1" | sed -n 's/^  \([a-z][a-z0-9-]*\)  .*/\1/p'
}

# option_lines HELP: the "Options:" lines that start with a flag.
option_lines() {
  sed -n '/^Options:/,/^$/p' <<<"$1" | grep -E '^  -' || true
}

# Writes three space-separated lists for one help text into the variables
# FLAGS (every flag spelling), VALUED (flags taking a value) and CHOICES
# ("--flag=a|b" entries for flags with a fixed set of values).
parse_flags() {
  FLAGS="" VALUED="" CHOICES=""
  local line names type name
  local re='^  (-[^ ]+)( ([A-Z][^ ]*))?'
  while IFS= read -r line; do
    [[ $line =~ $re ]] || continue
    names=${BASH_REMATCH[1]} type=${BASH_REMATCH[3]:-}
    IFS=, read -r -a spelled <<<"$names"
    for name in "${spelled[@]}"; do
      FLAGS+="${FLAGS:+ }$name"
      if [ -n "$type" ]; then
        VALUED+="${VALUED:+ }$name"
        if [[ $type =~ :\{([^}]*)\} ]]; then
          CHOICES+="${CHOICES:+ }$name=${BASH_REMATCH[1]//,/|}"
        fi
      fi
    done
  done < <(option_lines "$1")
}

top_help=$(help_of)
mapfile -t commands < <(subcommands "$top_help")
if [ ${#commands[@]} -eq 0 ]; then
  echo "$0: no subcommands found in \`$bin --help\`" >&2
  exit 1
fi

# ---- bash completion ----
{
  cat <<'HEAD'
# bash completion for wsreplay. GENERATED at build time from `wsreplay --help` and every
# `wsreplay CMD --help` by packaging/gen-docs.sh; do not edit (installed to
# /usr/share/bash-completion/completions/wsreplay).

# _wsreplay_flags CMD: sets flags (every flag), valued (flags taking a value) and choices
# ("--flag=a|b" for flags with a fixed set of values) for CMD ("" = before the subcommand).
_wsreplay_flags() {
  case $1 in
HEAD
  parse_flags "$top_help"
  printf '    "") flags="%s" valued="%s" choices="%s" ;;\n' "$FLAGS" "$VALUED" "$CHOICES"
  for cmd in "${commands[@]}"; do
    parse_flags "$(help_of "$cmd")"
    printf '    %s) flags="%s" valued="%s" choices="%s" ;;\n' "$cmd" "$FLAGS" "$VALUED" "$CHOICES"
  done
  cat <<'MID'
    *) flags="" valued="" choices="" ;;
  esac
}

_wsreplay() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=""
  [ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
MID
  printf '  local commands="%s"\n' "${commands[*]}"
  cat <<'TAIL'
  # The subcommand is the first word that is not a flag (the global flags take no value).
  local cmd="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      -*) ;;
      *) cmd=${COMP_WORDS[i]}; break ;;
    esac
  done
  # After `exec ... --` the words are the test command: complete commands, then files.
  if [ "$cmd" = exec ]; then
    for ((i = i + 1; i < COMP_CWORD; i++)); do
      if [ "${COMP_WORDS[i]}" = -- ]; then
        if [ "$i" -eq $((COMP_CWORD - 1)) ]; then
          mapfile -t COMPREPLY < <(compgen -c -- "$cur")
        else
          mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        fi
        return 0
      fi
    done
  fi
  local flags valued choices
  _wsreplay_flags "$cmd"
  # A flag's value: its choices if it has a fixed set, else a file name.
  local c
  for c in $choices; do
    if [ "${c%%=*}" = "$prev" ]; then
      local values=${c#*=}
      mapfile -t COMPREPLY < <(compgen -W "${values//|/ }" -- "$cur")
      return 0
    fi
  done
  if [ -n "$prev" ] && [[ " $valued " == *" $prev "* ]]; then
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    return 0
  fi
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$flags" -- "$cur")
  elif [ -z "$cmd" ]; then
    mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  fi
  return 0
}
complete -o filenames -o bashdefault -F _wsreplay wsreplay
TAIL
} >"$completion_out.tmp"
mv "$completion_out.tmp" "$completion_out"

# ---- help2man include: [COMMANDS] ----
# roff_verbatim: a help text as roff inside .nf/.fi (backslashes escaped, '-' as \- so flags
# copied from the page are ASCII, lines that would start with a control character protected).
roff_verbatim() {
  sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"
}
{
  echo "[COMMANDS]"
  echo "Every command's own \\fB\\-\\-help\\fR, as \\fBwsreplay\\fR prints it:"
  for cmd in "${commands[@]}"; do
    echo ".SS \"wsreplay $cmd\""
    echo ".nf"
    # The footer repeated under every command adds nothing here.
    help_of "$cmd" | grep -v '^Run `wsreplay CMD --help`' | roff_verbatim
    echo ".fi"
  done
} >"$h2m_out.tmp"
mv "$h2m_out.tmp" "$h2m_out"
