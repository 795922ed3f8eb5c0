/**
 * Generated sections of the docs: the text between `<!-- NAME -->` and `<!-- /NAME -->` is written by a generator
 * (`npm run docs:bench`, `npm run docs:deploy`) and checked by a test, so it cannot drift from its source.
 */

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
