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

/** An import of a file as written, and how it is made: `import type` (or `export type`), `import()`, or plain. */
interface Imported {
  specifier: string;
  typeOnly: boolean;
  dynamic: boolean;
}

const parsed = new Map<string, Imported[]>();

/**
 * The imports of a file as written: static, dynamic and re-exports, type-only ones included. Read from TypeScript's
 * syntax tree, so that an import-like phrase in a comment or a string is not taken for one; once per file.
 */
function importedBy(file: string): Imported[] {
  let found = parsed.get(file);
  if (found === undefined) {
    found = [];
    const source = ts.createSourceFile(file, readFileSync(join(root, file), "utf8"), ts.ScriptTarget.Latest);
    const visit = (node: ts.Node): void => {
      const imported = importOf(node);
      if (imported !== undefined) found?.push(imported);
      ts.forEachChild(node, visit);
    };
    visit(source);
    parsed.set(file, found);
  }
  return found;
}

/** The import a syntax node makes, if it makes one. */
function importOf(node: ts.Node): Imported | undefined {
  if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
    const clause = node.importClause;
    const named = clause?.namedBindings;
    const everyNameTyped =
      clause?.name === undefined &&
      named !== undefined &&
      ts.isNamedImports(named) &&
      named.elements.every((element) => element.isTypeOnly);
    const typeOnly = clause?.isTypeOnly === true || everyNameTyped;
    return { specifier: node.moduleSpecifier.text, typeOnly, dynamic: false };
  }
  if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier))
    return { specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly, dynamic: false };
  if (
    ts.isImportTypeNode(node) &&
    ts.isLiteralTypeNode(node.argument) &&
    ts.isStringLiteral(node.argument.literal)
  )
    return { specifier: node.argument.literal.text, typeOnly: true, dynamic: false };
  if (
    ts.isCallExpression(node) &&
    node.expression.kind === ts.SyntaxKind.ImportKeyword &&
    node.arguments[0] !== undefined &&
    ts.isStringLiteral(node.arguments[0])
  )
    return { specifier: node.arguments[0].text, typeOnly: false, dynamic: true };
  return undefined;
}

/** The import specifiers of a file as written. */
function specifiersOf(file: string): string[] {
  return importedBy(file).map((imported) => imported.specifier);
}

/** A file's relative imports, their targets as repository paths (`./x.js` is the source `x.ts`). */
function relativeImportsOf(file: string): Array<Imported & { target: string }> {
  return importedBy(file)
    .filter(({ specifier }) => /^\.{1,2}\//.test(specifier))
    .map((imported) => ({
      ...imported,
      target: normalize(join(dirname(file), imported.specifier)).replace(/\.js$/, ".ts"),
    }));
}

/** The files a file imports by relative path. */
function importsOf(file: string): string[] {
  return relativeImportsOf(file).map(({ target }) => target);
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

  it("keeps each folder of src/ to what docs/design.md's table says it may import", () => {
    const table = importTable();
    expect([...table.keys()]).toContain("actions/");
    const breaches = files
      .filter((file) => file.startsWith("src/") && !file.startsWith("src/contract/"))
      .flatMap((file) => {
        const from = srcPlace(file);
        const rule = table.get(from);
        if (rule === undefined) return [`${file}: no row for ${from}`];
        return relativeImportsOf(file)
          .filter(({ target }) => target.startsWith("src/") && srcPlace(target) !== from)
          .filter(({ target, typeOnly, dynamic }) => {
            if (from === "index.ts") return !typeOnly && !(dynamic && rule.dynamic.has(srcPlace(target)));
            const allowed = rule.allowed.get(srcPlace(target)) ?? rule.allowed.get(target.slice(4));
            return allowed === undefined || (allowed === "types" && !typeOnly);
          })
          .map(({ target, typeOnly }) => `${file} -> ${target}${typeOnly ? " (types)" : ""}`);
      });
    expect(breaches).toEqual([]);
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

/** The folder of a file of src/ (`actions/`), or the file itself at its top (`index.ts`). */
function srcPlace(file: string): string {
  const parts = file.split("/");
  return parts.length > 2 ? `${parts[1]}/` : (parts[1] as string);
}

/** A folder's row of the table: what it may import (a folder or file of src/, any import or types only). */
interface ImportRule {
  allowed: Map<string, "any" | "types">;
  /** For the entry: what it may load with `import()`. */
  dynamic: Set<string>;
}

/**
 * docs/design.md's "what each folder may import" table, read as the rule: a cell's `folder/` or `folder/file.ts`
 * may be imported, and only with `import type` when the words in brackets after it say "type" (`stores/` (types)).
 */
function importTable(): Map<string, ImportRule> {
  const design = readFileSync(join(root, "docs/design.md"), "utf8");
  const section = design.slice(design.indexOf("What each folder may import"));
  const rows = section.slice(0, section.indexOf("\n\n", section.indexOf("|"))).split("\n");
  const table = new Map<string, ImportRule>();
  for (const row of rows) {
    const cells = /^\| `([^`]+)` \| (.*) \|$/.exec(row);
    if (cells === null) continue;
    const rule: ImportRule = { allowed: new Map(), dynamic: new Set() };
    for (const [, name, words] of (cells[2] as string).matchAll(/`([^`]+)`(?:\s*\(([^)]*)\))?/g))
      if (/^[a-z-]+\/([a-z-]+\.ts)?$/.test(name as string))
        rule.allowed.set(name as string, words?.includes("type") ? "types" : "any");
    if ((cells[2] as string).includes("`import()`")) rule.dynamic = new Set(rule.allowed.keys());
    table.set(cells[1] as string, rule);
  }
  return table;
}
