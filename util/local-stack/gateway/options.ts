import type { ConsoleSource } from "../console/console.js";
import type { AccessLogRecord } from "./access-log.js";
import type { ApiIdentity } from "./events.js";
import type { Invoke } from "./integration.js";

/** How the gateway behaves: the API's identity, its limits and where it sends events and log records. */
export interface GatewayOptions extends ApiIdentity {
  host: string;
  port: number;
  /** The API's route keys (`$connect`, `$disconnect`, `$default` and the actions). */
  routes: ReadonlySet<string>;
  idleTimeoutMs: number;
  maxConnectionMs: number;
  /**
   * API Gateway stops waiting for the integration after this long and reports "Endpoint request timed out". It counts
   * from the moment an execution environment takes the event (see {@link Invoke}).
   */
  integrationTimeoutMs: number;
  /** Delay added before every @connections call is handled (a model of the network between Lambda and API Gateway). */
  managementDelayMs: number;
  /** @connections requests per second before 429 LimitExceededException; 0 = unlimited. */
  managementRateLimit: number;
  /**
   * Bytes a connection may have waiting to be written (a client that reads slower than it is sent to). Past it the
   * gateway closes the connection with {@link SLOW_CONSUMER} and logs a notice.
   */
  maxBufferedBytes: number;
  invoke: Invoke;
  /**
   * Token mode: a Lambda REQUEST authorizer on `$connect` (the same function) with identity source
   * `route.request.querystring.token`; region and account make its method ARN. Absent: open mode.
   */
  authorizer?: { region: string; accountId: string };
  /** Receives one record per WebSocket request ($connect, message, $disconnect): the stage's access log. */
  accessLog: (record: AccessLogRecord) => void;
  /** Receives the gateway's own notices (a slow consumer closed, say). */
  notice: (message: string) => void;
  /** The web console served at `/` (util/local-stack/console/); none when undefined. */
  console?: ConsoleSource;
}

/** The default of {@link GatewayOptions.maxBufferedBytes}: 1 MiB, eight messages of the 128 KB maximum. */
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * The close code of a connection whose client does not read: 1008 (policy violation), the code a server uses when a
 * client breaks its rules; the client may reconnect and read faster.
 */
export const SLOW_CONSUMER = { code: 1008, reason: "Slow consumer: too much data waiting" };
