import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../util/lib/repo.js";

/** Folders that hold no text a person reads as this project's: dependencies, build output, state, captured events. */
const SKIPPED = new Set([
  "node_modules",
  ".git",
  "dist",
  "cdktf.out",
  ".local",
  "coverage",
  "fixtures",
  "tmp",
]);

/** Every text file someone reads: docs, README, code and its comments, CLI help, scripts, configuration. */
function readableFiles(dir = repoRoot): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED.has(entry.name) ? [] : readableFiles(path);
    const text = /\.(md|ts|cjs|mjs|js|json|html|sh)$/.test(entry.name) || !entry.name.includes(".");
    return text && entry.isFile() ? [relative(repoRoot, path)] : [];
  });
}

/**
 * This team's issue numbers ("issue 10", "Issue 12's goals"): they mean nothing to a user or a new contributor, who
 * cannot see the tracker. An upstream issue is fine when it names its project right before it
 * ("aws-sdk-js-v3 issues 6896, 7632"), since anyone can look that up. Comment markers between lines are ignored,
 * so a reference broken over two lines is read whole.
 */
function teamIssueReferences(text: string): string[] {
  const joined = text.replace(/\n[ \t]*(?:\*|\/\/|#)?[ \t]*/g, " ");
  return [...joined.matchAll(/(\S+\s+)?\(?\b(issues?\s+#?\d+)/gi)]
    .filter((m) => !/^[([]?[\w.]+[-/][\w./-]+\s+$/.test(m[1] ?? ""))
    .map((m) => m[2] as string);
}

describe("words that only make sense inside this team", () => {
  it("reads the docs, the README, the code and the scripts", () => {
    // Prepare / Act
    const files = readableFiles();

    // Assess
    expect(files).toEqual(
      expect.arrayContaining([
        "README.md",
        "docs/security.md",
        "src/contract/environment.ts",
        "util/verify",
        "util/check-node.cjs",
      ]),
    );
  });

  it("finds no issue number of this project in any of them", () => {
    // Prepare
    // This file's examples are the words it looks for.
    const files = readableFiles().filter((file) => file !== relative(repoRoot, import.meta.filename));

    // Act
    const found = files.flatMap((file) =>
      teamIssueReferences(readFileSync(join(repoRoot, file), "utf8")).map((ref) => `${file}: ${ref}`),
    );

    // Assess
    expect(found).toEqual([]);
  });

  it("tells this team's references from an upstream project's", () => {
    // Prepare
    const text = [
      "  /** Who may connect (issue 10). */",
      "// Issue 12's goals on the sharded runs",
      " * see aws-sdk-js-v3 issues 6896, 7632) and fastify/fastify issue 12",
      " * the SDK's own timeout can hang (aws-sdk-js-v3",
      " * issues 6896), so",
      "the bench prints issue #12 here",
    ].join("\n");

    // Act
    const found = teamIssueReferences(text);

    // Assess
    expect(found).toEqual(["issue 10", "Issue 12", "issue #12"]);
  });
});
