import type { LocalStackOutputs } from "../../src/contract/index.js";
import type { Emulator } from "./emulator/emulator.js";
import type { Gateway } from "./gateway/gateway.js";
import type { GatewayOptions } from "./gateway/options.js";
import type { LambdaRuntime, LambdaStats } from "./lambda/runtime.js";

/** A running local stack. */
export interface LocalStack {
  /** The same values as `<stateDir>/outputs.json`. */
  outputs: LocalStackOutputs;
  gateway: {
    /** Live WebSocket connections. */
    connectionCount(): number;
    /** The physical ceiling: the gateway writes `data` to every socket itself; resolves with the count written. */
    sendToAll(data: string | Uint8Array): Promise<number>;
    /** Changes the injected @connections delay for every later call. */
    setManagementDelayMs(ms: number): void;
    /** Changes the @connections calls allowed a second before 429 (0: none), as `--management-rate-limit`. */
    setManagementRateLimit(perSecond: number): void;
  };
  lambda: {
    /** Completed invocations, CPU summed and peak RSS maxed over every execution environment so far. */
    stats(): Promise<LambdaStats>;
    /** The process ids of the live execution environments (fault tests stop or kill them). */
    pids(): number[];
    /** Sets function environment variables for later invocations, in fresh environments (UpdateFunctionConfiguration). */
    updateEnvironment(variables: Record<string, string>): void;
  };
  emulator: {
    /** Fault injection: while `down`, the connection store (the emulator's S3) answers 503 to every request. */
    setStoreDown(down: boolean): void;
    /** Fault injection: every later request to the connection store is held this long first. */
    setStoreDelayMs(ms: number): void;
  };
  /** Closes every client with 1001 and stops everything; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * The handle of a running stack: its outputs and the few levers tests and the benchmark pull.
 * @param gateway - the gateway and its options, which the levers change at run time
 * @param stop - stops everything, once
 */
export function stackHandle(
  outputs: LocalStackOutputs,
  gateway: { gateway: Gateway; options: GatewayOptions },
  runtime: LambdaRuntime,
  emulator: Emulator,
  stop: () => Promise<void>,
): LocalStack {
  return {
    outputs,
    gateway: {
      connectionCount: () => gateway.gateway.connectionCount(),
      sendToAll: (data) => gateway.gateway.sendToAll(data),
      setManagementDelayMs: (ms) => {
        gateway.options.managementDelayMs = ms;
      },
      setManagementRateLimit: (perSecond) => {
        gateway.options.managementRateLimit = perSecond;
      },
    },
    lambda: {
      stats: async () => runtime.stats(),
      pids: () => runtime.pids(),
      updateEnvironment: (variables) => runtime.updateEnvironment(variables),
    },
    emulator: {
      setStoreDown: (down) => emulator.setStoreDown(down),
      setStoreDelayMs: (ms) => emulator.setStoreDelayMs(ms),
    },
    stop,
  };
}
