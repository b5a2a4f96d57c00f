#!/bin/sh
# verb-page.sh CLI VERB SUMMARY SCDOC: splitbox-VERB(1), from the verb's own
# --help (one source of truth: the page cannot drift from the program).
set -eu
cli=$1 verb=$2 summary=$3 scdoc=$4
help=$("$cli" "$verb" --help)
{
  printf 'splitbox-%s(1)\n\n# NAME\n\nsplitbox-%s - %s\n\n# SYNOPSIS\n\n' "$verb" "$verb" "$summary"
  # The usage lines, then the rest as the verb prints it. scdoc's literal block keeps the layout.
  printf '```\n%s\n```\n\n# DESCRIPTION\n\n' "$(printf '%s\n' "$help" | sed -n '/^Usage:/,/^$/p' | sed '/^$/d')"
  printf '```\n%s\n```\n\n' "$(printf '%s\n' "$help" | sed '1,/^$/d')"
  printf '# SEE ALSO\n\n*splitbox*(1)\n'
} | "$scdoc"
