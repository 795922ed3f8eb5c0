// Checks the Node.js version before anything loads a dependency: `npm start`, `npm test`, the npm scripts and every
// util/* command run it first. On an older Node the project's dependencies fail with errors that never name the
// version (node:sqlite missing, Map.groupBy undefined), so this says it in one line and exits 1.
//
// Written for any Node a person may still have (Ubuntu 22.04's apt Node is 12): CommonJS, no dependency, no syntax
// newer than ES2017. The requirement is read from package.json's `engines.node`, the one place it is written
// (.nvmrc agrees with it, test/cli/node-version.test.ts checks that).
"use strict";

// biome-ignore lint/style/useNodejsImportProtocol: require("node:fs") needs Node 14.18; this must run on older ones.
const fs = require("fs");
// biome-ignore lint/style/useNodejsImportProtocol: as above.
const path = require("path");

const root = path.join(__dirname, "..");

/** The lowest version `engines.node` allows, as [major, minor, patch]; only the `>=X[.Y[.Z]]` form is used. */
function requiredVersion() {
  const engines = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).engines || {};
  const match = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(String(engines.node || "").trim());
  if (!match) throw new Error(`package.json engines.node must read ">=X[.Y[.Z]]", got ${engines.node}`);
  return [Number(match[1]), Number(match[2] || 0), Number(match[3] || 0)];
}

/** Whether version a (three numbers) is at least b. */
function atLeast(a, b) {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
}

const required = requiredVersion();
const current = process.versions.node.split(".").map(Number);
if (!atLeast(current, required)) {
  const wanted = required[1] === 0 && required[2] === 0 ? String(required[0]) : required.join(".");
  process.stderr.write(
    `fanout needs Node.js ${wanted} or later, and this is Node.js ${process.versions.node} (${process.execPath}): ` +
      `install Node.js ${required[0]} (nvm install, which reads .nvmrc; or https://nodejs.org/en/download), ` +
      "put it first on PATH, then run npm ci again.\n",
  );
  process.exit(1);
}
