#!/usr/bin/env bash
# Long coverage-guided runs of the fuzz targets (nightly toolchain and cargo-fuzz):
#   fuzz/run.sh [TARGET...]           every target when none is named
# Environment: RUNS (default 1000000), MAX_TIME (seconds per target, default 3600),
# EXTRA_SEEDS (a folder of further inputs, e.g. a corpus of real templates).
# Seeds come from testdata/, fuzz/seeds/ and EXTRA_SEEDS; the working corpus is fuzz/corpus/.
set -euo pipefail
cd "$(dirname "$0")"
RUNS="${RUNS:-1000000}"
MAX_TIME="${MAX_TIME:-3600}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(plan cfn_template tf_source policy config baseline param_files)
fi
seed_dirs=(../testdata ../examples seeds)
if [ -n "${EXTRA_SEEDS:-}" ]; then seed_dirs+=("$EXTRA_SEEDS"); fi

# Copies FILE into the corpus of a target, with an optional first byte (a syntax selector).
add() { # corpus prefix file
  local out
  out="${3#../}"
  out="$1/${out//\//_}"
  if [ -n "$2" ]; then { printf "\\x$2"; cat "$3"; } > "$out"; else cp "$3" "$out"; fi
}

seed() { # target corpus
  local f
  while IFS= read -r -d '' f; do
    case "$1:$f" in
      *"fuzz/$1/"*) add "$2" "" "$f" ;;
      plan:*plan*.json) add "$2" "" "$f" ;;
      cfn_template:*cfn*.json|cfn_template:*cfn*.yaml|cfn_template:*cfn*.yml|cfn_template:*cdk*.json) add "$2" "" "$f" ;;
      tf_source:*.tf) add "$2" 00 "$f" ;;
      tf_source:*.tf.json) add "$2" 01 "$f" ;;
      param_files:*/params*) add "$2" 00 "$f" ;;
      param_files:*.tfvars) add "$2" 01 "$f" ;;
      param_files:*.tfvars.json) add "$2" 02 "$f" ;;
      config:*/keyreach*.yaml) add "$2" "" "$f" ;;
      *"seeds/$1/"*) add "$2" "" "$f" ;;
    esac
  done < <(find "${seed_dirs[@]}" -type f -size -64k -print0 | sort -z)
}

for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  seed "$t" "corpus/$t"
  echo "== $t: $(ls "corpus/$t" | wc -l) inputs in corpus/$t"
  start=$(date +%s)
  nice cargo +nightly fuzz run -s none "$t" "corpus/$t" -- \
    -runs="$RUNS" -max_total_time="$MAX_TIME" -timeout=1 -rss_limit_mb=2048 \
    -max_len=16384 -print_final_stats=1 2>&1 | tail -n 40
  echo "== $t: $(( $(date +%s) - start )) s"
done
