/**
 * Reads a V8 `.cpuprofile` (the inspector's `Profiler.stop`, or `node --cpu-prof`) into self time per function, per
 * package and per kind of work: where the fan-out's CPU goes, to decide what per-call overhead to remove. Frames of a
 * minified bundle are named through its source maps ({@link sourceMapsOf}).
 */
import { readFileSync } from "node:fs";
import { Session as InspectorSession } from "node:inspector/promises";
import { SourceMap } from "node:module";
import { fileURLToPath } from "node:url";

/** One frame of a profile node. */
interface CallFrame {
  functionName: string;
  url: string;
  /** 0-based. */
  lineNumber: number;
  /** 0-based; absent in profiles that do not record it. */
  columnNumber?: number;
}

/** The parts of a V8 CPU profile used here. */
export interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * Starts V8's CPU profiler in this process, sampling every `intervalMicros`; the function it resolves with stops the
 * profiler and gives its profile.
 * @param intervalMicros - the sampling interval
 */
export async function startCpuProfile(intervalMicros: number): Promise<() => Promise<CpuProfile>> {
  const session = new InspectorSession();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: intervalMicros });
  await session.post("Profiler.start");
  return async () => {
    const { profile } = await session.post("Profiler.stop");
    session.disconnect();
    return profile as CpuProfile;
  };
}

/** Self time of one function, package or kind of work. */
export interface SelfTime {
  name: string;
  ms: number;
  share: number;
}

/**
 * The original source of a frame in a bundled file (`node_modules/@smithy/core/...`, `src/delivery/engine.ts`), or
 * undefined to keep the frame's own URL.
 */
export type SourceOf = (frame: CallFrame) => string | undefined;

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
  if (url.includes("/src/") || url.startsWith("src/") || url.startsWith("../../src/")) return "src (ours)";
  return url;
}

/**
 * Names frames of bundled files by their source maps (`<file>.map` beside the file, read once per file): a bundle's
 * frames become the package or source file they were built from; frames without a map keep their URL.
 */
export function sourceMapsOf(): SourceOf {
  const maps = new Map<string, SourceMap | undefined>();
  const mapOf = (url: string): SourceMap | undefined => {
    if (!maps.has(url)) {
      let map: SourceMap | undefined;
      try {
        map = new SourceMap(JSON.parse(readFileSync(`${fileURLToPath(url)}.map`, "utf8")));
      } catch {
        // No map beside the file (a source run by tsx, node's own modules): the frame keeps its URL.
        map = undefined;
      }
      maps.set(url, map);
    }
    return maps.get(url);
  };
  return (frame) => {
    if (!frame.url.startsWith("file://")) return undefined;
    const entry = mapOf(frame.url)?.findEntry(frame.lineNumber, frame.columnNumber ?? 0);
    return entry && "originalSource" in entry ? entry.originalSource : undefined;
  };
}

/** Samples that are not work: the process waiting. */
const IDLE = "(idle)";
/** The profiler's own work (starting, stopping, sending the profile): left out as idle is. */
const PROFILER = "the profiler itself (node:inspector)";

/**
 * The kinds of work a fan-out's CPU goes to, tried in this order on each sample's frames from the innermost out:
 * the first frame that one of them matches names the sample's kind. So the HTTP work the SDK asks for counts as
 * HTTP, and the SDK's own middleware as the SDK's.
 */
const WORK_KINDS: readonly { kind: string; matches: RegExp }[] = [
  { kind: PROFILER, matches: /^node:inspector/ },
  {
    kind: "listing and deleting keys (S3 client, XML)",
    matches:
      /node_modules\/(@aws-sdk\/(client-s3|xml-builder|middleware-sdk-s3)|fast-xml-parser)\/|src\/stores\//,
  },
  { kind: "logging (Powertools logger)", matches: /@aws-lambda-powertools\/|src\/app\/log\.ts/ },
  { kind: "signing (SigV4, node:crypto)", matches: /signature-v4|node:internal\/crypto|src\/aws\/sigv4\.ts/ },
  { kind: "pacing", matches: /src\/delivery\/pacing\.ts/ },
  {
    kind: "per-send timeout (timers, AbortController)",
    matches:
      /node:internal\/(timers|abort_controller|event_target)|node:timers|src\/delivery\/send-policy\.ts/,
  },
  { kind: "AWS SDK command path (@smithy, @aws-sdk)", matches: /node_modules\/(@smithy|@aws-sdk)\// },
  { kind: "the @connections sender (ours)", matches: /src\/aws\// },
  {
    kind: "the emulator (fauxqs, Fastify, fidelity layer)",
    matches:
      /node_modules\/(fauxqs|fastify|@fastify|find-my-way|avvio|light-my-request)\/|local-stack\/emulator\//,
  },
  {
    kind: "the gateway (@connections, WebSocket writes)",
    matches: /local-stack\/gateway\/|node_modules\/ws\//,
  },
  {
    kind: "HTTP (node:http, net, streams)",
    matches: /node:(_http_|https|net|stream|tls|_tls|internal\/(http|net|stream|streams|url|dns|tls))/,
  },
  { kind: "the fan-out engine (src/delivery)", matches: /src\/delivery\// },
  { kind: "promises and microtasks", matches: /node:internal\/process\/task_queues|^runMicrotasks$/ },
  { kind: "the rest of the handler (src)", matches: /(^|\/)src\// },
  { kind: "IPC with the runtime", matches: /node:internal\/child_process|util\/(bench|local-stack)\// },
];

/** The kinds that the VM names itself, without a frame to read. */
const VM_KINDS: Record<string, string> = {
  "(garbage collector)": "garbage collection (allocation)",
  "(program)": "V8 and the event loop (program)",
};

/** Self time per function (`name (file:line)`) and per package, largest first. */
export function selfTimes(
  profile: CpuProfile,
  sourceOf: SourceOf = () => undefined,
): {
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
    const source = sourceOf(frame) ?? frame.url;
    const file = source.split("/").slice(-2).join("/");
    const key = `${frame.functionName || "(anonymous)"} (${file || "native"}:${frame.lineNumber + 1})`;
    fn.set(key, (fn.get(key) ?? 0) + ms);
    const name = packageOfUrl(source);
    pkg.set(name, (pkg.get(name) ?? 0) + ms);
  });
  return { functions: sorted(fn, total), packages: sorted(pkg, total), totalMs: total };
}

/**
 * Busy time per kind of work ({@link WORK_KINDS}), largest first, and the idle time apart (with the profiler's own
 * samples): each sample goes to the kind of its innermost frame that a kind matches (a native frame such as `writev`
 * goes to its caller's), else to "other".
 * @param profile - the profile
 * @param sourceOf - names bundled frames by their sources
 */
export function workTimes(
  profile: CpuProfile,
  sourceOf: SourceOf = () => undefined,
): { kinds: SelfTime[]; busyMs: number; idleMs: number } {
  const parent = new Map<number, number>();
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const kindOfNode = new Map<number, string>();
  const kindOf = (id: number): string => {
    const known = kindOfNode.get(id);
    if (known !== undefined) return known;
    const leaf = frames.get(id);
    let kind = leaf ? VM_KINDS[leaf.functionName] : undefined;
    for (let at: number | undefined = id; kind === undefined && at !== undefined; at = parent.get(at)) {
      const frame = frames.get(at);
      if (!frame) break;
      // A native frame has no URL: only the microtask runner is named by its function; others go to their caller.
      const source =
        sourceOf(frame) ?? (frame.url || (frame.functionName === "runMicrotasks" ? "runMicrotasks" : ""));
      kind = source === "" ? undefined : WORK_KINDS.find((k) => k.matches.test(source))?.kind;
    }
    kind ??= "other (node internals, natives)";
    kindOfNode.set(id, kind);
    return kind;
  };
  const times = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const kind = frames.get(id)?.functionName === IDLE ? PROFILER : kindOf(id);
    if (kind === PROFILER) {
      idle += ms;
      return;
    }
    busy += ms;
    times.set(kind, (times.get(kind) ?? 0) + ms);
  });
  return { kinds: sorted(times, busy), busyMs: busy, idleMs: idle };
}

function sorted(m: Map<string, number>, total: number): SelfTime[] {
  return [...m]
    .map(([name, ms]) => ({ name, ms, share: total > 0 ? ms / total : 0 }))
    .sort((a, b) => b.ms - a.ms);
}
