#!/usr/bin/env bash
# One command for the side-by-side with Gorse: shopmuse's offline evaluation
# writes its split, Gorse (bench/gorse, its own module) trains BPR and ALS on
# that very split, and one table prints both, best NDCG first.
#
#   bench/compare.sh --gen users=1000,products=2000,interactions=45000 [--gen-funnel=false] [--seed N]
#   bench/compare.sh --interactions F [--products F] [--format movielens|amazon|...]
#
# Every other flag goes to `eval` (--protocol, --split, --last, --targets,
# --target-kinds, --exclude, --tune ...). The protocol reaches Gorse through
# the split directory itself: eval writes each user's targets (targets.csv),
# the items removed from their ranking (exclude.csv), the protocol's name
# and a validation split under the same rule (val/), and bench/gorse scores
# and tunes on exactly those, so both sides share the split and the rule.
#
# Needs go and python3. Gorse's first build takes a few minutes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${COMPARE_DIR:-$(mktemp -d)}"
mkdir -p "$work"
cd "$root"
args=("$@")
if [[ "${1:-}" == "--gen" ]]; then
  gen=()
  for a in "${@:3}"; do
    [[ "$a" == --gen-funnel* ]] && gen+=("$a")
  done
  # --seed picks the generated shop as well as eval's seed.
  for ((i = 3; i < $#; i++)); do
    [[ "${!i}" == "--seed" ]] && { j=$((i + 1)); gen+=(--seed "${!j}"); }
  done
  go run . eval --gen "$2" --out "$work/data" "${gen[@]}" >&2
  args=(--interactions "$work/data/interactions.csv" --products "$work/data/products.jsonl" --users "$work/data/users.jsonl" "${@:3}")
fi
echo "== shopmuse" >&2
go run . eval "${args[@]}" --write-split "$work/split" --json "$work/shopmuse.json" --plot "$work/shopmuse.svg" >&2
echo "== gorse" >&2
(cd bench/gorse && go run . --split "$work/split" --json "$work/gorse.json" >&2)
python3 - "$work/shopmuse.json" "$work/gorse.json" <<'PY'
import json, sys
rows = []
for path, prefix in ((sys.argv[1], "shopmuse/"), (sys.argv[2], "gorse/")):
    for r in json.load(open(path))["rows"]:
        rows.append((prefix + r["model"], r))
rows.sort(key=lambda x: -x[1]["ndcg"])
print(f"{'model':<24}{'NDCG@10':>9}{'Recall@10':>11}{'HitRate@10':>12}{'MAP@10':>9}{'coverage':>10}{'train_s':>9}")
for name, r in rows:
    print(f"{name:<24}{r['ndcg']:>9.4f}{r['recall']:>11.4f}{r['hitrate']:>12.4f}{r['map']:>9.4f}{r['coverage']:>10.4f}{r['train_s']:>9.1f}")
PY
go run . eval plot --out "$work/compare.svg" --title "${COMPARE_TITLE:-${args[1]##*/}: the same per-user split for both}" "$work/shopmuse.json" "$work/gorse.json" >&2
echo "files in $work (compare.svg: the chart of this table)" >&2
