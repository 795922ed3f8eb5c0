/** Prints a progress line on stderr, stamped with the time of day (stdout carries the results). */
export const progress = (line: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
