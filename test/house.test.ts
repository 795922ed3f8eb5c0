import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The house's numbers (docs/development.md, "before you commit"): what a script can check of the layout that
 * docs/design.md describes. Each limit is the design's, not a snapshot of today's tree.
 */

const root = join(import.meta.dirname, "..");

/** Every TypeScript file git knows of (tracked, or new and not ignored), relative to the repository root. */
const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.ts"], {
  cwd: root,
  encoding: "utf8",
})
  .split("\n")
  .filter((file) => file !== "" && !file.startsWith("test/fixtures/") && !file.endsWith(".d.ts"));

const lines = (file: string) => readFileSync(join(root, file), "utf8").split("\n").length;

/** The relative import specifiers of a file: static, dynamic and re-exports, type-only ones included. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), "utf8");
  const found: string[] = [];
  for (const match of text.matchAll(
    /(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']+)["']/gm,
  )) {
    const target = normalize(join(dirname(file), match[1] as string)).replace(/\.js$/, ".ts");
    found.push(target);
  }
  return found;
}

describe("the house", () => {
  it("has no folder of src/ or util/ with more than 12 files", () => {
    const perFolder = new Map<string, number>();
    for (const file of files.filter((f) => /^(src|util)\//.test(f)))
      perFolder.set(dirname(file), (perFolder.get(dirname(file)) ?? 0) + 1);
    const crowded = [...perFolder].filter(([, count]) => count > 12);
    expect(crowded).toEqual([]);
  });

  it("has no source file over 350 lines and no test file over 400", () => {
    const long = files.filter((file) => lines(file) > (file.startsWith("test/") ? 400 : 350));
    expect(long.map((file) => `${file}: ${lines(file)}`)).toEqual([]);
  });

  it("has no import circle", () => {
    const graph = new Map(files.map((file) => [file, importsOf(file).filter((t) => files.includes(t))]));
    // Tarjan's strongly connected components: any component of two or more files is a circle.
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const circles: string[][] = [];
    let next = 0;
    const visit = (file: string) => {
      index.set(file, next);
      low.set(file, next);
      next += 1;
      stack.push(file);
      for (const target of graph.get(file) ?? []) {
        if (!index.has(target)) {
          visit(target);
          low.set(file, Math.min(low.get(file) as number, low.get(target) as number));
        } else if (stack.includes(target)) {
          low.set(file, Math.min(low.get(file) as number, index.get(target) as number));
        }
      }
      if (low.get(file) === index.get(file)) {
        const component: string[] = [];
        for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
          component.push(member);
          if (member === file) break;
        }
        if (component.length > 1 || (graph.get(file) ?? []).includes(file)) circles.push(component.sort());
      }
    };
    for (const file of graph.keys()) if (!index.has(file)) visit(file);
    expect(circles).toEqual([]);
  });

  it("lets deployment/, util/ and client/ import nothing of src/ but the contract module", () => {
    const leaks = files
      .filter((file) => /^(deployment|util|client)\//.test(file))
      .flatMap((file) => importsOf(file).map((target) => ({ file, target })))
      .filter(({ target }) => target.startsWith("src/") && !target.startsWith("src/contract/"));
    expect(leaks).toEqual([]);
  });

  it("keeps the contract module dependency-free: it imports only itself", () => {
    const contract = files.filter((file) => file.startsWith("src/contract/"));
    expect(contract.length).toBeGreaterThan(0);
    const outside = contract.flatMap((file) => {
      const text = readFileSync(join(root, file), "utf8");
      const specifiers = [
        ...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm),
      ].map((match) => match[1] as string);
      return specifiers
        .filter((specifier) => !normalize(join(dirname(file), specifier)).startsWith("src/contract/"))
        .map((specifier) => `${file} -> ${specifier}`);
    });
    expect(outside).toEqual([]);
  });

  it("lets util/ and deployment/ not import each other", () => {
    const crossing = files
      .filter((file) => /^(deployment|util)\//.test(file))
      .flatMap((file) => importsOf(file).map((target) => ({ file, target })))
      .filter(
        ({ file, target }) =>
          file.split("/")[0] !== target.split("/")[0] && /^(deployment|util)\//.test(target),
      );
    expect(crossing).toEqual([]);
  });
});
