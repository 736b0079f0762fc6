#!/usr/bin/env bash
# The shell logic of the keyreach GitHub Action (action.yml): run keyreach, write the Markdown
# report and the SARIF log, post or update one pull-request comment, record the exit code.
#
# It never fails on keyreach's verdict itself: the verdict is written to $GITHUB_OUTPUT as
# `exit-code` so the SARIF upload still runs, and the Action's last step exits with it.
#
# Inputs (environment):
#   KEYREACH_BIN             keyreach binary (default: keyreach on PATH)
#   KEYREACH_COMMAND         diff | analyze (default: diff)
#   KEYREACH_INPUTS          inputs, one per line or space separated (plans, templates, dirs)
#   KEYREACH_BASE            base-side inputs for `diff --base ... --head <inputs>`; empty: the
#                            inputs' own before state (a Terraform plan)
#   KEYREACH_FAIL_ON         --fail-on for analyze (default: high)
#   KEYREACH_FAIL_ON_NEW_ACCESS  --fail-on-new-access (default: never)
#   KEYREACH_CONFIG          --config file (optional)
#   KEYREACH_ARGS            further options, space separated (optional)
#   KEYREACH_COMMENT         true | false: post or update the pull-request comment (default: true)
#   KEYREACH_COMMENT_KEY     tells several keyreach comments on one pull request apart
#   KEYREACH_PR              pull-request number (empty: no comment)
#   KEYREACH_OUT             directory for keyreach.md and keyreach.sarif (default: $RUNNER_TEMP)
#   GITHUB_REPOSITORY, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GH_TOKEN: set by GitHub Actions.
set -uo pipefail

bin="${KEYREACH_BIN:-keyreach}"
command="${KEYREACH_COMMAND:-diff}"
out="${KEYREACH_OUT:-${RUNNER_TEMP:-.}}"
mkdir -p "$out"
md="$out/keyreach.md"
sarif="$out/keyreach.sarif"
marker="<!-- keyreach-comment:${KEYREACH_COMMENT_KEY:-default} -->"

# Word lists from the inputs (paths with spaces are not supported, as in most action inputs).
read -r -a inputs <<< "$(printf '%s' "${KEYREACH_INPUTS:-}" | tr '\n' ' ')"
read -r -a base <<< "$(printf '%s' "${KEYREACH_BASE:-}" | tr '\n' ' ')"
read -r -a extra <<< "${KEYREACH_ARGS:-}"
if [ "${#inputs[@]}" -eq 0 ]; then
  echo "::error::keyreach: no inputs given" >&2
  exit 2
fi

args=()
case "$command" in
  diff)
    if [ "${#base[@]}" -gt 0 ]; then
      args=(diff --base "${base[@]}" --head "${inputs[@]}")
    else
      args=(diff "${inputs[@]}")
    fi
    ;;
  analyze)
    args=(analyze "${inputs[@]}")
    ;;
  *)
    echo "::error::keyreach: command must be diff or analyze, not $command" >&2
    exit 2
    ;;
esac
if [ -n "${KEYREACH_CONFIG:-}" ]; then
  args+=(--config "$KEYREACH_CONFIG")
fi
args+=("${extra[@]}")

# The verdict comes from the Markdown run; the SARIF run never gates.
gate=(--fail-on-new-access "${KEYREACH_FAIL_ON_NEW_ACCESS:-never}")
quiet=(--fail-on-new-access never)
if [ "$command" = analyze ]; then
  gate+=(--fail-on "${KEYREACH_FAIL_ON:-high}")
  quiet+=(--fail-on never)
fi
"$bin" "${args[@]}" "${gate[@]}" --format markdown --output "$md"
status=$?
"$bin" "${args[@]}" "${quiet[@]}" --format sarif --output "$sarif" >/dev/null 2>&1 || true

if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "exit-code=$status"
    echo "markdown=$md"
    echo "sarif=$sarif"
  } >> "$GITHUB_OUTPUT"
fi
if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f "$md" ]; then
  cat "$md" >> "$GITHUB_STEP_SUMMARY"
fi

# One comment per pull request (and key): updated in place on every push.
if [ "${KEYREACH_COMMENT:-true}" = true ] && [ -n "${KEYREACH_PR:-}" ] && [ -f "$md" ]; then
  body="$out/keyreach-comment.md"
  { cat "$md"; printf '\n%s\n' "$marker"; } > "$body"
  repo="${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set}"
  existing="$(gh api --paginate "repos/$repo/issues/$KEYREACH_PR/comments" \
    --jq ".[] | select(.body | contains(\"$marker\")) | .id" | head -n 1)"
  if [ -n "$existing" ]; then
    gh api --method PATCH "repos/$repo/issues/comments/$existing" -F "body=@$body" >/dev/null \
      || echo "::warning::keyreach: could not update the pull-request comment"
  else
    gh api --method POST "repos/$repo/issues/$KEYREACH_PR/comments" -F "body=@$body" >/dev/null \
      || echo "::warning::keyreach: could not post the pull-request comment (read-only token on a fork?)"
  fi
fi

case "$status" in
  0) echo "keyreach: passed" ;;
  1) echo "keyreach: the change fails the gate (see the report)" ;;
  *) echo "::error::keyreach: an input could not be analysed (exit $status)" ;;
esac
exit 0
