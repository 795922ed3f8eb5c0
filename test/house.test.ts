import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * The house's numbers (docs/development.md, "before you commit"): what a script can check of the layout that
 * docs/design.md describes. Each limit is the design's, not a snapshot of today's tree.
 */

const root = join(import.meta.dirname, "..");

/** Every file git knows of (tracked, or new and not ignored), relative to the repository root; fixtures aside. */
const everyFile = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
  cwd: root,
  encoding: "utf8",
})
  .split("\n")
  .filter((file) => file !== "" && !file.startsWith("test/fixtures/"));

/** The TypeScript sources and tests: what imports what. */
const files = everyFile.filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"));

/** Everything that is code, TypeScript or not (the launchers' shell, the Node check, the console's page). */
const code = everyFile.filter((file) => /\.(ts|cjs|mjs|js|sh|html)$/.test(file) && !file.endsWith(".d.ts"));

/** Lines as `wc -l` counts them: a final newline ends the last line rather than starting another. */
const lines = (file: string) => readFileSync(join(root, file), "utf8").replace(/\n$/, "").split("\n").length;

/**
 * The import specifiers of a file as written: static, dynamic and re-exports, type-only ones included. Read by
 * TypeScript's own scanner, so that an import-like phrase in a comment or a string is not taken for one.
 */
function specifiersOf(file: string): string[] {
  const text = readFileSync(join(root, file), "utf8");
  return ts.preProcessFile(text, true, true).importedFiles.map((imported) => imported.fileName);
}

/** The files a file imports by relative path, as repository paths (`./x.js` is the source `x.ts`). */
function importsOf(file: string): string[] {
  return specifiersOf(file)
    .filter((specifier) => /^\.{1,2}\//.test(specifier))
    .map((specifier) => normalize(join(dirname(file), specifier)).replace(/\.js$/, ".ts"));
}

describe("the house", () => {
  it("has no folder of src/ or util/ with more than 12 files (of any kind)", () => {
    const perFolder = new Map<string, number>();
    for (const file of everyFile.filter((f) => /^(src|util)\//.test(f)))
      perFolder.set(dirname(file), (perFolder.get(dirname(file)) ?? 0) + 1);
    const crowded = [...perFolder].filter(([, count]) => count > 12);
    expect(crowded).toEqual([]);
  });

  it("has no source file over 350 lines and no test file over 400", () => {
    const long = code.filter((file) => lines(file) > (file.startsWith("test/") ? 400 : 350));
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

  it("keeps the contract module dependency-free: it imports only itself (no package, no node: builtin)", () => {
    const contract = files.filter((file) => file.startsWith("src/contract/"));
    expect(contract.length).toBeGreaterThan(0);
    expect(outsideImports(contract, "src/contract/")).toEqual([]);
  });

  it("keeps the client package self-contained: client/src/ imports only itself and no package", () => {
    // The packed tarball holds client/src and its build only: an import from elsewhere breaks the installed package.
    const client = files.filter((file) => file.startsWith("client/src/"));
    expect(client.length).toBeGreaterThan(0);
    expect(outsideImports(client, "client/src/")).toEqual([]);
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

/**
 * The imports of `sources` that leave `folder`: a relative path outside it, a package or a `node:` builtin.
 * @param sources - the files to read
 * @param folder - the folder they may import from, with its final slash
 */
function outsideImports(sources: readonly string[], folder: string): string[] {
  return sources.flatMap((file) =>
    specifiersOf(file)
      .filter(
        (specifier) =>
          !/^\.{1,2}\//.test(specifier) || !normalize(join(dirname(file), specifier)).startsWith(folder),
      )
      .map((specifier) => `${file} -> ${specifier}`),
  );
}
