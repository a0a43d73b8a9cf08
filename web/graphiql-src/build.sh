#!/bin/sh
# Rebuilds the offline GraphiQL assets in ../graphiql/ (committed; served by
# web.GraphiQL through go:embed). Run from anywhere:
#   sh web/graphiql-src/build.sh
# Needs node and npm; installs the exact versions in package-lock.json.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
out=../graphiql
mkdir -p "$out"
# One self-contained file each for JS and CSS: no code splitting, so the page
# needs exactly two requests; fonts stay inlined as data: URLs (GraphiQL ships
# them that way). Legal comments go to a separate file that is folded into
# THIRD_PARTY_LICENSES.txt below, keeping the bundle small.
./node_modules/.bin/esbuild index.jsx \
  --bundle --minify --format=iife --target=es2020 \
  --jsx=automatic --loader:.js=jsx \
  --define:process.env.NODE_ENV='"production"' \
  --legal-comments=none \
  --entry-names=graphiql \
  --outdir="$out" \
  --metafile=node_modules/.esbuild-meta.json \
  --log-level=warning
cp index.html "$out/index.html"
node ./licenses.mjs > "$out/THIRD_PARTY_LICENSES.txt"
ls -l "$out"
