#!/bin/sh
# Rebuilds the merchant console's assets in ../console/ (committed; served by
# web.Console through go:embed). Run from anywhere:
#   sh web/console-src/build.sh
# Needs node and npm; installs the exact versions in package-lock.json, type
# checks the sources (tsc) and bundles them (esbuild). CI runs it and fails
# when the committed assets differ from what it builds.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
./node_modules/.bin/tsc -p .
out=../console
mkdir -p "$out"
# One file each for JS and CSS, so the page needs exactly two requests.
./node_modules/.bin/esbuild src/main.tsx \
  --bundle --minify --format=iife --target=es2020 \
  --jsx=automatic --jsx-import-source=preact \
  --legal-comments=none \
  --entry-names=console \
  --outdir="$out" \
  --metafile=node_modules/.esbuild-meta.json \
  --log-level=warning
cp index.html "$out/index.html"
node ./licenses.mjs > "$out/THIRD_PARTY_LICENSES.txt"
ls -l "$out"
