/**
 * The soak run's command line: `npm run soak -- [options]`. Parsing is separate from running so that every usage
 * error is tested without starting a stack.
 */
import { intFlag } from "../bench/args.js";
import { parseCliArgs, UsageError } from "../lib/cli.js";

/** What a soak run does. */
export interface SoakOptions {
  /** Clients in all: stayers plus churner slots. */
  clients: number;
  /** Of which stayers (the rest churn). */
  stayers: number;
  /** How long the soak publishes, seconds. */
  seconds: number;
  /** Churner connects per second (each followed by a close), over all churners. */
  churnPerSec: number;
  /** Messages published per second, alternately through SNS and as a broadcast request. */
  ratePerSec: number;
  /** Client processes (1 or 2 keeps the CPU for the stack). */
  processes: number;
  /** Every Nth churner close is a TCP reset rather than a close handshake; 0 = never. */
  abruptEvery: number;
  /** The recovery phase: library clients on a channel with history, dropped and renewed (0: no phase). */
  recoveryClients: number;
  /** How long the recovery phase publishes, seconds. */
  recoverySeconds: number;
  /** Messages a second in the recovery phase. */
  recoveryRate: number;
  /** Where results.json goes. */
  outDir: string;
  quick: boolean;
}

/** The most clients one run may hold: the gateway holds every server socket in one process. */
const MAX_CLIENTS = 20_000;
/** The longest run, minutes. */
const MAX_MINUTES = 120;

/** The help text. */
export const HELP = `Usage: npm run soak -- [options]

Starts its own local stack (free ports, a temporary state folder), connects M WebSocket clients from one or two
child processes: a stable core of stayers and churners that connect and close at a steady rate. For T minutes it
publishes messages, alternately through SNS Publish and as a client's broadcast request, each with a unique marker.
Then it closes every client, waits for $disconnect, and reports: messages published, deliveries owed to the
stayers (exact) and what arrived, misses, duplicates, what the churners (may or may not receive) got, connection
keys left in S3, and the peak RSS of the gateway process and of the Lambda workers. Then the recovery phase: K
client-library clients on a channel that keeps history, one dropped (@connections DELETE) or renewed every half
second while a publisher sends R messages a second; it counts what each client was owed and delivered, in position
order. Prints a table and writes <out>/results.json. Exits 1 when a stayer missed or duplicated a message, a
churner got a duplicate, a stayer was disconnected, a key was left, or a recovery client missed, repeated or
reordered a message or reported a recovery incomplete.

Options:
  --clients M      clients in all (default 2000; --quick 100), at most ${MAX_CLIENTS}
  --stayers S      of which stayers (default half of M, at least 1); the rest churn
  --minutes T      how long to publish (default 10), at most ${MAX_MINUTES}; decimals allowed
  --churn R        churner connects per second, each followed by a close (default M/100, at least 1, --quick 5; 0 = none)
  --rate P         messages published per second, alternating SNS and broadcast (default 0.5; --quick 2)
  --processes K    client processes, 1 or 2 (default 2)
  --abrupt-every N every Nth churner close is a TCP reset instead of a close handshake (default 10; 0 = never)
  --recovery-clients K  clients of the recovery phase (default 200; --quick 20; 0 = no phase)
  --recovery-seconds S  how long the recovery phase publishes (default 60; --quick 10)
  --recovery-rate R     messages a second in the recovery phase (default 20)
  --out DIR        where results.json goes (default .local/soak)
  --quick          100 clients for 20 seconds: what CI runs
  -h, --help       this text

Example:
  npm run soak -- --clients 500 --minutes 2`;

function numberFlag(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`${name} must be a number from ${min} to ${max}, got '${text}'`);
  }
  return value;
}

/** Parses argv (without node and the script); throws {@link UsageError} on bad usage; null means --help. */
export function parseSoakArgs(argv: string[]): SoakOptions | null {
  const { values } = parseCliArgs({
    args: argv,
    options: {
      clients: { type: "string" },
      stayers: { type: "string" },
      minutes: { type: "string" },
      churn: { type: "string" },
      rate: { type: "string" },
      processes: { type: "string" },
      "abrupt-every": { type: "string" },
      "recovery-clients": { type: "string" },
      "recovery-seconds": { type: "string" },
      "recovery-rate": { type: "string" },
      out: { type: "string" },
      quick: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: false,
  });
  if (values.help) return null;
  const quick = values.quick === true;
  const clients = intFlag("--clients", values.clients ?? (quick ? "100" : "2000"), 2);
  if (clients > MAX_CLIENTS) throw new UsageError(`--clients must be at most ${MAX_CLIENTS}, got ${clients}`);
  const stayers = intFlag("--stayers", values.stayers ?? String(Math.max(1, Math.floor(clients / 2))), 1);
  if (stayers > clients)
    throw new UsageError(`--stayers (${stayers}) must be at most --clients (${clients})`);
  const seconds =
    values.minutes === undefined
      ? quick
        ? 20
        : 600
      : Math.round(numberFlag("--minutes", values.minutes, 0.05, MAX_MINUTES) * 60);
  const processes = intFlag("--processes", values.processes ?? "2", 1);
  const recoveryClients = intFlag(
    "--recovery-clients",
    values["recovery-clients"] ?? (quick ? "20" : "200"),
    0,
  );
  if (recoveryClients > MAX_CLIENTS)
    throw new UsageError(`--recovery-clients must be at most ${MAX_CLIENTS}, got ${recoveryClients}`);
  if (processes > 2) throw new UsageError(`--processes must be 1 or 2, got ${processes}`);
  return {
    clients,
    stayers,
    seconds,
    churnPerSec:
      values.churn === undefined
        ? Math.max(quick ? 5 : 1, Math.round(clients / 100))
        : numberFlag("--churn", values.churn, 0, 1_000),
    ratePerSec: numberFlag("--rate", values.rate ?? (quick ? "2" : "0.5"), 0.01, 50),
    processes,
    abruptEvery: intFlag("--abrupt-every", values["abrupt-every"] ?? "10", 0),
    recoveryClients,
    recoverySeconds: numberFlag(
      "--recovery-seconds",
      values["recovery-seconds"] ?? (quick ? "10" : "60"),
      1,
      3600,
    ),
    recoveryRate: numberFlag("--recovery-rate", values["recovery-rate"] ?? "20", 0.1, 100),
    outDir: values.out ?? ".local/soak",
    quick,
  };
}
