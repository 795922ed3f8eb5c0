import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../util/lib/repo.js";

/** README.md and every Markdown file in docs/. */
const FILES = [
  "README.md",
  ...readdirSync(join(repoRoot, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

/** The heading anchors GitHub makes: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, "");
  return new Set(
    [...withoutCode.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
      (m[1] ?? "")
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, "")
        .replace(/ /g, "-"),
    ),
  );
}

/** Relative link targets of `[text](target)` and `![alt](target)`, outside code blocks. */
function relativeLinks(markdown: string): string[] {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
  return [...withoutCode.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1] as string)
    .filter((target) => !/^[a-z]+:/i.test(target));
}

describe("links in README.md and docs/", () => {
  it("checks the README and the manual", () => {
    expect(FILES).toEqual(expect.arrayContaining(["README.md", "docs/design.md", "docs/protocol.md"]));
  });

  it.each(FILES)("every relative link in %s names a file or heading that exists", (file) => {
    // Prepare
    const text = readFileSync(join(repoRoot, file), "utf8");

    // Act
    const broken = relativeLinks(text).filter((target) => {
      const [path = "", anchor] = target.split("#");
      const resolved = path === "" ? join(repoRoot, file) : join(repoRoot, dirname(file), path);
      if (!existsSync(resolved)) return true;
      return (
        anchor !== undefined &&
        resolved.endsWith(".md") &&
        !anchors(readFileSync(resolved, "utf8")).has(anchor)
      );
    });

    // Assess
    expect(broken).toEqual([]);
  });
});
