/**
 * `npx tsx util/bench/profile.ts`: profiles ours on the Lambda side. Starts the local stack, connects N clients,
 * and runs the Lambda handler of `src/` in a driver process under `node --cpu-prof`, publishing `--runs` messages
 * to all of them; then prints where the CPU went (self time per package and per function) and the profile's path,
 * which Chrome DevTools or speedscope open.
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseCliArgs, runCli } from "../lib/cli.js";
import { defaultProcesses, intFlag } from "./args.js";
import { type CpuProfile, selfTimes } from "./cpu-profile.js";
import { progress } from "./progress.js";
import { Session } from "./session/session.js";

const HELP = `Usage: npx tsx util/bench/profile.ts [options]

Profiles the Lambda handler of src/ fanning out to N local clients (node --cpu-prof).

Options:
  -n, --n N          clients (default 10000)
  --delay MS         injected delay per @connections call (default 0)
  --runs R           messages published (default 3)
  --concurrency C    FANOUT_CONCURRENCY of the handler (default: the handler's own)
  --out DIR          where the .cpuprofile goes (default .local/profile)
  -h, --help         this text`;

async function main(argv: string[]): Promise<void> {
  const { values } = parseCliArgs({
    args: argv,
    options: {
      n: { type: "string", short: "n" },
      delay: { type: "string" },
      runs: { type: "string" },
      concurrency: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const n = intFlag("--n", values.n ?? "10000", 1);
  const runs = intFlag("--runs", values.runs ?? "3", 1);
  const delayMs = intFlag("--delay", values.delay ?? "0", 0);
  const outDir = resolve(values.out ?? ".local/profile");
  mkdirSync(outDir, { recursive: true });
  if (values.concurrency !== undefined) {
    process.env.FANOUT_CONCURRENCY = String(intFlag("--concurrency", values.concurrency, 1));
  }
  const started = Date.now();
  const session = await Session.open(n, {
    processes: defaultProcesses(n),
    drivers: ["handler"],
    driverExecArgv: ["--cpu-prof", "--cpu-prof-dir", outDir],
  });
  try {
    session.delayMs = delayMs;
    for (let run = 1; run <= runs; run++) {
      const ms = await session.driveToAll("handler", `profile-${run}`);
      progress(`run ${run}/${runs}: publish to last receipt ${Math.round(ms)} ms`);
    }
  } finally {
    await session.close();
  }
  // tsx's module loader thread writes a profile of its own; the driver's main thread is the biggest one.
  const newest = readdirSync(outDir)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => join(outDir, f))
    .filter((f) => statSync(f).mtimeMs >= started)
    .sort((a, b) => statSync(b).size - statSync(a).size)[0];
  if (!newest) throw new Error(`no .cpuprofile was written to ${outDir}`);
  const times = selfTimes(JSON.parse(readFileSync(newest, "utf8")) as CpuProfile);
  const row = (t: { name: string; ms: number; share: number }) =>
    `${t.ms.toFixed(0).padStart(8)} ms ${(t.share * 100).toFixed(1).padStart(5)}%  ${t.name}`;
  process.stdout.write(
    `self time by package (total ${times.totalMs.toFixed(0)} ms, includes start-up and idle):\n`,
  );
  process.stdout.write(`${times.packages.slice(0, 15).map(row).join("\n")}\n\nby function:\n`);
  process.stdout.write(`${times.functions.slice(0, 30).map(row).join("\n")}\n\nprofile: ${newest}\n`);
}

await runCli("profile", () => main(process.argv.slice(2)), "npx tsx util/bench/profile.ts --help");
// The profile is printed: do not wait for a child process or a kept-alive socket that is slow to let go.
process.exit();
