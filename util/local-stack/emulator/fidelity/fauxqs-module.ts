/**
 * fauxqs's internal classes, which the fidelity layer patches or builds: they are not among the package's exports,
 * so they are loaded by URL beside its entry, which gives the very module instances that `buildApp` uses.
 */

/**
 * The class `name` of fauxqs's module at `path` (relative to its entry, e.g. `./s3/s3Store.js`).
 * @throws Error naming the class when fauxqs no longer has it there
 */
export async function loadFauxqsClass<T>(path: string, name: string): Promise<T> {
  const module = (await import(new URL(path, import.meta.resolve("fauxqs")).href)) as Record<string, unknown>;
  const found = module[name];
  if (typeof found !== "function") throw new Error(`fauxqs changed: ${name} is gone from ${path}`);
  return found as T;
}
