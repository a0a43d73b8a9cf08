#!/usr/bin/env bash
# One command for the side-by-side with Gorse: shopmuse's offline evaluation
# writes its split, Gorse (bench/gorse, its own module) trains BPR and ALS on
# that very split, and one table prints both, best NDCG first.
#
#   bench/compare.sh --gen users=5000,products=3000,interactions=200000
#   bench/compare.sh --interactions F [--products F] [--format movielens|amazon|...]
#
# Needs go and python3. Gorse's first build takes a few minutes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${COMPARE_DIR:-$(mktemp -d)}"
mkdir -p "$work"
cd "$root"
args=("$@")
if [[ "${1:-}" == "--gen" ]]; then
  go run . eval --gen "$2" --out "$work/data" >&2
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
