#!/usr/bin/env bash
# The package as npm would publish it, tried as a user would: `npm pack`, install the tarball
# globally into an empty prefix, and from an empty directory run the installed `tagbase`:
# --version, then `serve` on its embedded SQLite default until /readyz, /docs and a token'd API
# call answer. Run by .ci/run after the suites.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

work="$(mktemp -d)"
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

tarball="$(npm pack --silent --pack-destination "$work" | tail -n 1)"
echo "packed $tarball ($(du -k "$work/$tarball" | cut -f1) KiB)"
tar -tzf "$work/$tarball" >"$work/contents"
for required in package/dist/cli.js package/dist/http/dashboard/page/index.html package/LICENSE \
  package/README.md package/CHANGELOG.md package/.env.example; do
  grep -qx "$required" "$work/contents" || { echo "FATAL: $required is not in the package" >&2; exit 1; }
done
if grep -qE '^package/(src|test|bench)/' "$work/contents"; then
  echo "FATAL: the package carries sources, tests or benchmarks" >&2
  exit 1
fi

npm install --global --prefix "$work/prefix" --no-audit --no-fund "$work/$tarball" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; echo "FATAL: the packed tarball does not install" >&2; exit 1; }
tagbase="$work/prefix/bin/tagbase"

mkdir "$work/empty"
cd "$work/empty"
version="$("$tagbase" --version)"
expected="$(node -p "require('$repo/package.json').version")"
[ "$version" = "$expected" ] || { echo "FATAL: tagbase --version says $version, package.json $expected" >&2; exit 1; }

port="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
PORT="$port" HOST=127.0.0.1 "$tagbase" serve >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 60); do
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fs "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$work/serve.log" >&2; echo "FATAL: the installed tagbase serve never became ready" >&2; exit 1; }
curl -fs "http://127.0.0.1:$port/docs/" | grep -q 'Tagbase API reference' || { echo "FATAL: /docs is not served" >&2; exit 1; }
[ -f data/tagbase.db ] || { echo "FATAL: serve did not create its embedded database at ./data/tagbase.db" >&2; exit 1; }

location="$("$tagbase" --json location create --name Packaged | node -pe 'JSON.parse(require("fs").readFileSync(0)).id')"
token="$("$tagbase" --json token create --location "$location" | node -pe 'JSON.parse(require("fs").readFileSync(0)).token')"
answer="$(curl -fs "http://127.0.0.1:$port/contacts/?locationId=$location" -H "Authorization: Bearer $token" -H 'Version: 2021-07-28')"
echo "$answer" | grep -q '"contacts":\[\]' || { echo "FATAL: the installed API answered $answer" >&2; exit 1; }
echo "package OK: $tarball installs, tagbase $version serves /readyz, /docs and the API from an empty directory"
