/**
 * Reads a V8 `.cpuprofile` (written by `node --cpu-prof`) into self time per function and per package: where the
 * fan-out's CPU goes, to decide what per-call overhead to remove.
 */

/** The parts of a V8 CPU profile used here. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time of one function or package. */
export interface SelfTime {
  name: string;
  ms: number;
  share: number;
}

/**
 * The npm package a path or URL lies in: the one under its last `node_modules/` (a nested dependency is itself),
 * scoped too; undefined outside `node_modules`.
 * @param path - a file path, esbuild input path or script URL
 */
export function npmPackageOf(path: string): string | undefined {
  const at = path.lastIndexOf("node_modules/");
  if (at < 0) return undefined;
  const [first = "", second = ""] = path.slice(at + "node_modules/".length).split("/");
  return first.startsWith("@") ? `${first}/${second}` : first;
}

/** The package of a script URL (`node_modules/<name>`, scoped too), `src` for ours, `node:` internals, or "(vm)". */
export function packageOfUrl(url: string): string {
  if (url === "") return "(vm: idle, gc, native)";
  const npm = npmPackageOf(url);
  if (npm !== undefined) return npm;
  if (url.startsWith("node:")) return "node internals";
  if (url.includes("/src/")) return "src (ours)";
  return url;
}

/** Self time per function (`name (file:line)`) and per package, largest first. */
export function selfTimes(profile: CpuProfile): {
  functions: SelfTime[];
  packages: SelfTime[];
  totalMs: number;
} {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id);
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    if (!frame) return;
    total += ms;
    const file = frame.url.split("/").slice(-2).join("/");
    const key = `${frame.functionName || "(anonymous)"} (${file || "native"}:${frame.lineNumber + 1})`;
    fn.set(key, (fn.get(key) ?? 0) + ms);
    const name = packageOfUrl(frame.url);
    pkg.set(name, (pkg.get(name) ?? 0) + ms);
  });
  const sorted = (m: Map<string, number>) =>
    [...m].map(([name, ms]) => ({ name, ms, share: total > 0 ? ms / total : 0 })).sort((a, b) => b.ms - a.ms);
  return { functions: sorted(fn), packages: sorted(pkg), totalMs: total };
}
