#!/usr/bin/env bash
# Runs util/cli/<name>.ts for the launchers util/<name>: `launch.sh NAME ARGS...`.
# Resolves the repository from this script's real location, so the launchers run from any folder and through a
# symlink. One node process with tsx's loader (tsx's "." export), rather than the tsx binary, which runs the script
# in a second node process: signals (Ctrl-C) and exit codes then reach the CLI directly.
set -euo pipefail
name="$1"
shift
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
# The Node version first, in a process of its own: a Node too old for `--import` still reads the one line it prints.
if ! command -v node >/dev/null; then
  echo "$name: Node.js is not on PATH: install Node.js $(cat "$root/.nvmrc") (https://nodejs.org/en/download)" >&2
  exit 1
fi
node "$root/util/check-node.cjs"
loader="$root/node_modules/tsx/dist/loader.mjs"
if [[ ! -f "$loader" ]]; then
  echo "$name: dependencies are missing: run 'npm ci' in $root first" >&2
  exit 1
fi
exec node --import "$loader" "$root/util/cli/$name.ts" "$@"
