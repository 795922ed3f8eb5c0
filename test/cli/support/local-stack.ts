import { rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll } from "vitest";
import { type LocalStack, startLocalStack } from "../../../util/local-stack/index.js";
import { type CliName, CliProcess, cliEnv, tempDir } from "./run.js";

/** One local stack for a CLI test file, and the CLIs its tests start against it with `--local`. */
interface CliStack {
  /** The stack (read it inside tests and hooks). */
  readonly stack: LocalStack;
  /** The file's temporary folder: the stack's state is `<dir>/state`. */
  readonly dir: string;
  /** The CLIs' environment: `--local` reads this stack's outputs, never a developer's running `npm start`. */
  readonly env: NodeJS.ProcessEnv;
  /** Starts a CLI that the test stops (or that is killed after the test, whatever happens). */
  start(name: CliName, args: string[], extraEnv?: NodeJS.ProcessEnv): CliProcess;
  /** A listening `util/connect --local`, once its session is open. */
  listener(): Promise<CliProcess>;
  /** Stops something a test started after it, even when the test failed half-way. */
  afterTest(stop: () => Promise<void>): void;
}

/**
 * One local stack for the whole file (starting one builds the bundle and takes seconds on a busy machine), started
 * before its tests and stopped after them; every CLI a test starts is stopped after that test.
 */
export function useCliStack(): CliStack {
  const cleanups: (() => Promise<void>)[] = [];
  const state = {} as { stack: LocalStack; dir: string; env: NodeJS.ProcessEnv };
  beforeAll(async () => {
    state.dir = tempDir();
    state.stack = await startLocalStack({
      gatewayPort: 0,
      emulatorPort: 0,
      stateDir: join(state.dir, "state"),
      log: false,
      // The CLI's limits (128 KB), not the stack's own 32 KB cap on client broadcasts (test/e2e/auth.test.ts).
      lambdaEnv: { MAX_CLIENT_MESSAGE_BYTES: "131072" },
    });
    state.env = cliEnv(state.dir, { FANOUT_LOCAL_OUTPUTS: join(state.dir, "state", "outputs.json") });
  });
  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((stop) => stop()));
  });
  afterAll(async () => {
    await state.stack?.stop();
    rmSync(state.dir, { recursive: true, force: true });
  });
  const start = (name: CliName, args: string[], extraEnv: NodeJS.ProcessEnv = {}) => {
    const cli = new CliProcess(name, args, { ...state.env, ...extraEnv });
    cleanups.push(() => cli.kill());
    return cli;
  };
  return {
    get stack() {
      return state.stack;
    },
    get dir() {
      return state.dir;
    },
    get env() {
      return state.env;
    },
    start,
    async listener() {
      const cli = start("connect", ["--local"]);
      await cli.waitFor("stderr", /^connected to ws:\/\/127\.0\.0\.1:\d+\/local/m);
      return cli;
    },
    afterTest: (stop) => cleanups.push(stop),
  };
}

/** Waits until the process has printed `count` lines on stdout. */
export async function lines(cli: CliProcess, count: number): Promise<string[]> {
  await cli.waitFor("stdout", new RegExp(`^(?:.*\\n){${count}}`));
  return cli.lines();
}

/** A TCP port that was free a moment ago (bound, then released): nothing listens on it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}
