/**
 * The repository's own files: where its root is, and the generated sections of its docs, which a generator writes
 * (`npm run docs:bench`, `npm run docs:deploy`) between `<!-- NAME -->` and `<!-- /NAME -->` and a test checks, so
 * that they cannot drift from their source.
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file lives in `util/lib/`), so that tools work from any working directory. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * The text with the section `name` replaced by `content`.
 * @param text - the whole file
 * @param name - the section's marker name (`deploy:variables`)
 * @param content - the section's new body, without the markers
 * @throws Error when the file lacks the markers
 */
export function replaceSection(text: string, name: string, content: string): string {
  const open = `<!-- ${name} -->`;
  const close = `<!-- /${name} -->`;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) throw new Error(`no ${open} … ${close} markers`);
  return `${text.slice(0, start + open.length)}\n${content}\n${text.slice(end)}`;
}
