import { isUtf8 } from "node:buffer";
import { createServer, type IncomingMessage, type Server, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import { MAX_FRAME_BYTES, MAX_MESSAGE_BYTES } from "../../../src/limits.js";
import { type ConsoleSource, withConsole } from "../console/console.js";
import { listenOn } from "../http.js";
import {
  type ApiIdentity,
  authorizerEvent,
  type ConnectionInfo,
  connectEvent,
  disconnectEvent,
  messageEvent,
  newAwsId,
  selectRoute,
  type WebSocketEvent,
} from "./events.js";
import {
  accessRecord,
  authorizeConnect,
  type IntegrationResult,
  type Invoke,
  integrate,
} from "./integration.js";
import { type ManagementTarget, managementHandler } from "./management.js";
import { assertWsPatches, limitFrameSize, wsWouldDropSilently } from "./ws-patches.js";

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
  /** The web console served at `/` (util/local-stack/console.ts); none when undefined. */
  console?: ConsoleSource;
}

/**
 * One access log line: the fields (and order) of the deployed stage's access log format
 * (deployment/constructs/websocket-api.ts), rendered as API Gateway renders `$context` variables in a JSON
 * format: every value a string, "-" when there is none.
 */
export interface AccessLogRecord {
  requestId: string;
  connectionId: string;
  routeKey: string;
  eventType: "CONNECT" | "MESSAGE" | "DISCONNECT";
  status: string;
  /** `$context.requestTimeEpoch`, milliseconds. */
  requestTime: string;
  sourceIp: string;
  integrationStatus: string;
  integrationLatency: string;
  integrationError: string;
  errorMessage: string;
}

/** The running gateway. */
export interface Gateway {
  port: number;
  connectionCount(): number;
  /** Writes `data` to every open socket directly (no Lambda, no HTTP); resolves with the number written. */
  sendToAll(data: string | Uint8Array): Promise<number>;
  stop(): Promise<void>;
}

/** The default of {@link GatewayOptions.maxBufferedBytes}: 1 MiB, eight messages of the 128 KB maximum. */
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * The close code of a connection whose client does not read: 1008 (policy violation), the code a server uses when a
 * client breaks its rules; the client may reconnect and read faster.
 */
export const SLOW_CONSUMER = { code: 1008, reason: "Slow consumer: too much data waiting" };

const GOING_AWAY = { code: 1001, reason: "Going away" };

interface LiveConnection {
  info: ConnectionInfo;
  socket: WebSocket;
  lastActiveAt: number;
  idleTimer: NodeJS.Timeout;
  maxTimer: NodeJS.Timeout;
  /** Set when the gateway closed the socket itself, so `$disconnect` reports its code and not the client's echo. */
  closedBy?: { code: number; reason: string };
}

/**
 * A WebSocket gateway that behaves like API Gateway's WebSocket API: one HTTP server serving the WebSocket upgrade
 * at `/<stage>` and the @connections API at `/<stage>/@connections/{id}`.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  assertWsPatches();
  const core = new GatewayCore(options);
  const server = createServer(
    withConsole(options.console, () => core.connections.size, managementHandler(core)),
  );
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    core.upgrade(req, socket, head),
  );
  const port = await listenOn(server, options.host, options.port, "gateway", () => listen(server, options));
  return {
    port,
    connectionCount: () => core.connections.size,
    sendToAll: (data) => core.sendToAll(data),
    stop: () => core.stop(server),
  };
}

function listen(server: Server, options: GatewayOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** The gateway's state and its steps: the handshake, open connections, their events and the @connections target. */
class GatewayCore implements ManagementTarget {
  readonly connections = new Map<string, LiveConnection>();
  private readonly pendingUpgrades = new Set<Duplex>();
  /** The subprotocol each accepted handshake answers with (what `$connect` returned), for `handleProtocols`. */
  private readonly subprotocols = new WeakMap<IncomingMessage, string>();
  private readonly wss: WebSocketServer;
  private stopping = false;

  constructor(private readonly options: GatewayOptions) {
    // maxPayload bounds the whole message (128 KB); the 32 KB frame limit is added per socket (limitFrameSize).
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_MESSAGE_BYTES,
      perMessageDeflate: false,
      // API Gateway answers with a subprotocol only when $connect returned one; ws would pick the client's first.
      handleProtocols: (_offered, req) => this.subprotocols.get(req) ?? false,
    });
  }

  get stage(): string {
    return this.options.stage;
  }
  get managementDelayMs(): number {
    return this.options.managementDelayMs;
  }
  get managementRateLimit(): number {
    return this.options.managementRateLimit;
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => socket.destroy());
    this.pendingUpgrades.add(socket);
    this.handshake(req, socket, head)
      .catch(() => refuse(socket, 500))
      .finally(() => this.pendingUpgrades.delete(socket));
  }

  private async handshake(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const refusal = this.checkHandshake(req);
    if (refusal) return refuse(socket, refusal.status, refusal.headers);
    const info = this.connectionInfo(req);
    if (this.options.authorizer !== undefined) {
      const status = await this.authorize(info, req, this.options.authorizer);
      if (status !== 200) return refuse(socket, status);
    }
    const event = connectEvent(this.options, info, req);
    const result = await this.integrate(event);
    if (result.status < 200 || result.status > 299) {
      // A $connect that API Gateway gave up on may still succeed and store the connection: end it once it does.
      result.late?.then((outcome) => {
        if (outcome.status === "ok" && !this.stopping) this.disconnect(info, 1006, "");
      });
      return refuse(socket, result.status);
    }
    if (this.stopping || wsWouldDropSilently(socket)) {
      // The client left (FIN or RST) while $connect ran: the connection was stored, so it ends here, once.
      socket.destroy();
      if (!this.stopping) await this.disconnect(info, 1006, "");
      return;
    }
    if (result.subprotocol !== undefined) this.subprotocols.set(req, result.subprotocol);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.open(ws, info));
  }

  /** Validated before $connect runs, so that a handshake ws would reject never stores a connection. */
  private checkHandshake(
    req: IncomingMessage,
  ): { status: number; headers?: Record<string, string> } | undefined {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path !== `/${this.options.stage}` && path !== `/${this.options.stage}/`) return { status: 403 };
    const key = req.headers["sec-websocket-key"];
    const upgrade = req.headers.upgrade?.toLowerCase();
    if (req.method !== "GET" || upgrade !== "websocket" || !key || !/^[+/0-9A-Za-z]{22}==$/.test(key)) {
      return { status: 400 };
    }
    const version = req.headers["sec-websocket-version"];
    // RFC 6455 4.4: an unsupported version gets 426 and the versions the server speaks.
    if (version !== "13" && version !== "8")
      return { status: 426, headers: { "Sec-WebSocket-Version": "13" } };
    return undefined;
  }

  private connectionInfo(req: IncomingMessage): ConnectionInfo {
    return {
      connectionId: newAwsId(),
      domainName: req.headers.host ?? `${this.options.host}:${this.options.port}`,
      sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, "") ?? "127.0.0.1",
      userAgent: req.headers["user-agent"],
      connectedAt: Date.now(),
      connectRequestId: newAwsId(),
    };
  }

  /**
   * The `$connect` authorizer: a missing or empty identity source (`?token=`) is refused with 401 without invoking
   * anything, as API Gateway does; otherwise the function decides. On Allow, `info.authorizer` carries the
   * principal and context into every event of the connection. Resolves with the handshake's status.
   */
  private async authorize(
    info: ConnectionInfo,
    req: IncomingMessage,
    where: { region: string; accountId: string },
  ): Promise<number> {
    const connect = connectEvent(this.options, info, req);
    const token = new URL(req.url ?? "/", "http://localhost").searchParams.get("token");
    if (token === null || token === "") {
      this.options.accessLog(authorizerAccessRecord(connect, 401, "Unauthorized", 0));
      return 401;
    }
    const decision = await authorizeConnect(
      this.options.invoke,
      authorizerEvent(connect, this.options, where),
      this.options.integrationTimeoutMs,
    );
    if (decision.stopped) return 500;
    if (decision.status !== 200) {
      this.options.accessLog(
        authorizerAccessRecord(connect, decision.status, decision.errorMessage, decision.latency),
      );
      return decision.status;
    }
    info.authorizer = decision.context;
    return 200;
  }

  private async integrate(event: WebSocketEvent): Promise<IntegrationResult> {
    const result = await integrate(this.options.invoke, event, this.options.integrationTimeoutMs);
    // An invocation cut off by the stack stopping is not the function's failure: no line for it.
    if (!result.stopped) this.options.accessLog(accessRecord(event, result));
    return result;
  }

  private open(socket: WebSocket, info: ConnectionInfo): void {
    limitFrameSize(socket, MAX_FRAME_BYTES);
    const conn: LiveConnection = {
      info,
      socket,
      lastActiveAt: Date.now(),
      idleTimer: setTimeout(() => closeFromGateway(conn, GOING_AWAY), this.options.idleTimeoutMs),
      maxTimer: setTimeout(() => closeFromGateway(conn, GOING_AWAY), this.options.maxConnectionMs),
    };
    this.connections.set(info.connectionId, conn);
    // ws reports protocol errors (such as an over-size frame: 1009) here, then closes; the close handler does the rest.
    socket.on("error", () => undefined);
    socket.on("message", (data: Buffer, isBinary: boolean) => this.onMessage(conn, data, isBinary));
    socket.on("close", (code: number, reason: Buffer) => this.onClose(conn, code, reason));
  }

  private onMessage(conn: LiveConnection, data: Buffer, isBinary: boolean): void {
    const { info, socket } = conn;
    touch(conn);
    const event = messageEvent(
      this.options,
      info,
      selectRoute(this.options.routes, data, isBinary),
      data,
      isBinary,
    );
    this.integrate(event).then((result) => {
      if (result.errorMessage && !result.stopped && socket.readyState === socket.OPEN) {
        // API Gateway's own answer to the sender when the integration fails.
        socket.send(
          JSON.stringify({
            message: result.errorMessage,
            connectionId: info.connectionId,
            requestId: event.requestContext.requestId,
          }),
        );
      }
    });
  }

  private onClose(conn: LiveConnection, code: number, reason: Buffer): void {
    clearTimeout(conn.idleTimer);
    clearTimeout(conn.maxTimer);
    this.connections.delete(conn.info.connectionId);
    if (this.stopping) return;
    const how = conn.closedBy ?? { code, reason: reason.toString("utf8") };
    this.disconnect(conn.info, how.code, how.reason);
  }

  private async disconnect(info: ConnectionInfo, code: number, reason: string): Promise<void> {
    await this.integrate(disconnectEvent(this.options, info, code, reason));
  }

  send(connectionId: string, body: Buffer): boolean {
    const conn = this.openConnection(connectionId);
    if (!conn) return false;
    touch(conn);
    // API Gateway sends what it is given; a text frame when it is text, as clients expect.
    conn.socket.send(body, { binary: !isUtf8(body) });
    if (conn.socket.bufferedAmount > this.options.maxBufferedBytes) this.closeSlowConsumer(conn);
    return true;
  }

  /** Closes a client that does not read; cut off a second later if the close frame cannot get through either. */
  private closeSlowConsumer(conn: LiveConnection): void {
    this.options.notice(
      `closed ${conn.info.connectionId} with ${SLOW_CONSUMER.code}: ${conn.socket.bufferedAmount} bytes waiting ` +
        `(limit ${this.options.maxBufferedBytes}), the client does not read`,
    );
    closeFromGateway(conn, SLOW_CONSUMER);
    setTimeout(() => conn.socket.terminate(), 1000).unref();
  }

  describe(connectionId: string): object | undefined {
    const conn = this.openConnection(connectionId);
    if (!conn) return undefined;
    return {
      connectedAt: new Date(conn.info.connectedAt).toISOString(),
      identity: { sourceIp: conn.info.sourceIp, userAgent: conn.info.userAgent },
      lastActiveAt: new Date(conn.lastActiveAt).toISOString(),
    };
  }

  close(connectionId: string): boolean {
    const conn = this.openConnection(connectionId);
    if (!conn) return false;
    closeFromGateway(conn, { code: 1000, reason: "" });
    return true;
  }

  private openConnection(connectionId: string): LiveConnection | undefined {
    const conn = this.connections.get(connectionId);
    return conn && conn.socket.readyState === conn.socket.OPEN ? conn : undefined;
  }

  sendToAll(data: string | Uint8Array): Promise<number> {
    const sends = [...this.connections.values()].map(
      (conn) => new Promise<boolean>((resolve) => conn.socket.send(data, (error) => resolve(!error))),
    );
    return Promise.all(sends).then((sent) => sent.filter(Boolean).length);
  }

  async stop(server: Server): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const closed = [...this.connections.values()].map(
      (conn) =>
        new Promise<void>((resolve) => {
          conn.socket.once("close", () => resolve());
          conn.socket.close(GOING_AWAY.code, GOING_AWAY.reason);
        }),
    );
    // A client that does not answer the close handshake is cut off after a second.
    const grace = setTimeout(() => {
      for (const conn of this.connections.values()) conn.socket.terminate();
    }, 1000);
    await Promise.all(closed);
    clearTimeout(grace);
    for (const socket of this.pendingUpgrades) socket.destroy();
    this.wss.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

function touch(conn: LiveConnection): void {
  conn.lastActiveAt = Date.now();
  conn.idleTimer.refresh();
}

/** Closes a connection from the gateway's side; its `$disconnect` reports this code, not the client's echo. */
function closeFromGateway(conn: LiveConnection, how: { code: number; reason: string }): void {
  conn.closedBy = how;
  conn.socket.close(how.code, how.reason);
}

/** The access log line of a handshake the authorizer refused: no integration ran. */
function authorizerAccessRecord(
  event: WebSocketEvent,
  status: number,
  errorMessage: string | undefined,
  latency: number,
): AccessLogRecord {
  const ctx = event.requestContext;
  return {
    requestId: ctx.requestId,
    connectionId: ctx.connectionId,
    routeKey: ctx.routeKey,
    eventType: ctx.eventType,
    status: String(status),
    requestTime: String(ctx.requestTimeEpoch),
    sourceIp: ctx.identity.sourceIp,
    integrationStatus: "-",
    integrationLatency: latency > 0 ? String(latency) : "-",
    integrationError: "-",
    errorMessage: errorMessage ?? "-",
  };
}

function refuse(socket: Duplex, status: number, headers: Record<string, string> = {}): void {
  if (socket.destroyed) return;
  const text = STATUS_CODES[status] ?? "Error";
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.end(`HTTP/1.1 ${status} ${text}\r\n${extra.join("")}Connection: close\r\nContent-Length: 0\r\n\r\n`);
}
