import { isUtf8 } from "node:buffer";
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import * as wsModule from "ws";
import { type WebSocket, WebSocketServer } from "ws";
import { MAX_FRAME_BYTES, MAX_MESSAGE_BYTES } from "../../src/limits.js";
import {
  type ApiIdentity,
  type ConnectionInfo,
  connectEvent,
  disconnectEvent,
  messageEvent,
  newAwsId,
  selectRoute,
  type WebSocketEvent,
} from "./events.js";
import type { InvokeOutcome } from "./lambda-runtime.js";
import { listenOn } from "./listen.js";

/** How the gateway behaves: the API's identity, its limits and where it sends events and log records. */
export interface GatewayOptions extends ApiIdentity {
  host: string;
  port: number;
  /** The API's route keys (`$connect`, `$disconnect`, `$default` and the actions). */
  routes: ReadonlySet<string>;
  idleTimeoutMs: number;
  maxConnectionMs: number;
  /** API Gateway stops waiting for the integration after this long and reports "Endpoint request timed out". */
  integrationTimeoutMs: number;
  /** Delay added before every @connections call is handled (a model of the network between Lambda and API Gateway). */
  managementDelayMs: number;
  /** @connections requests per second before 429 LimitExceededException; 0 = unlimited. */
  managementRateLimit: number;
  invoke: (event: WebSocketEvent) => Promise<InvokeOutcome>;
  /** Receives one record per WebSocket request ($connect, message, $disconnect): the stage's access log. */
  accessLog: (record: AccessLogRecord) => void;
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

interface LiveConnection {
  info: ConnectionInfo;
  socket: WebSocket;
  lastActiveAt: number;
  idleTimer: NodeJS.Timeout;
  maxTimer: NodeJS.Timeout;
  /** Set when the gateway closed the socket itself, so `$disconnect` reports its code and not the client's echo. */
  closedBy?: { code: number; reason: string };
}

/** How an integration result looks from API Gateway. */
interface IntegrationResult {
  status: number;
  integrationStatus: number | undefined;
  /** What API Gateway tells the client and the access log when the integration failed. */
  errorMessage: string | undefined;
  integrationErrorMessage: string | undefined;
  latency: number;
}

const GOING_AWAY = { code: 1001, reason: "Going away" };

/**
 * A WebSocket gateway that behaves like API Gateway's WebSocket API: one HTTP server serving the WebSocket upgrade
 * at `/<stage>` and the @connections API at `/<stage>/@connections/{id}`.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  assertFrameLimitHook();
  const connections = new Map<string, LiveConnection>();
  const pendingUpgrades = new Set<Duplex>();
  let stopping = false;
  // maxPayload bounds the whole message (128 KB); the 32 KB frame limit is added per socket (limitFrameSize).
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    perMessageDeflate: false,
  });
  const server = createServer((req, res) => {
    handleManagement(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, "InternalServerErrorException", String(error));
    });
  });
  let rateWindow = { second: 0, count: 0 };

  async function integrate(event: WebSocketEvent): Promise<IntegrationResult> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), options.integrationTimeoutMs);
    });
    const outcome = await Promise.race([options.invoke(event), timeout]);
    clearTimeout(timer);
    const latency = Math.round(performance.now() - started);
    if (outcome === "timeout" || outcome.status === "timeout") {
      const message = "Endpoint request timed out";
      return {
        status: 504,
        integrationStatus: undefined,
        errorMessage: message,
        integrationErrorMessage: message,
        latency,
      };
    }
    if (outcome.status === "error") {
      return {
        status: 500,
        integrationStatus: 200,
        errorMessage: "Internal server error",
        integrationErrorMessage: `${outcome.error.errorType}: ${outcome.error.errorMessage}`,
        latency,
      };
    }
    const result = outcome.result as { statusCode?: unknown } | null;
    const status = typeof result?.statusCode === "number" ? result.statusCode : 200;
    return {
      status,
      integrationStatus: 200,
      errorMessage: undefined,
      integrationErrorMessage: undefined,
      latency,
    };
  }

  function log(event: WebSocketEvent, result: IntegrationResult): void {
    const ctx = event.requestContext;
    const text = (value: string | number | undefined) => (value === undefined ? "-" : String(value));
    options.accessLog({
      requestId: ctx.requestId,
      connectionId: ctx.connectionId,
      routeKey: ctx.routeKey,
      eventType: ctx.eventType,
      status: text(result.status),
      requestTime: text(ctx.requestTimeEpoch),
      sourceIp: ctx.identity.sourceIp,
      integrationStatus: text(result.integrationStatus),
      integrationLatency: text(result.latency),
      integrationError: text(result.integrationErrorMessage),
      errorMessage: text(result.errorMessage),
    });
  }

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    pendingUpgrades.add(socket);
    handleUpgrade(req, socket, head)
      .catch(() => refuse(socket, 500))
      .finally(() => pendingUpgrades.delete(socket));
  });

  async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path !== `/${options.stage}` && path !== `/${options.stage}/`) return refuse(socket, 403);
    // Validated before $connect runs, so that a handshake ws would reject never stores a connection.
    const key = req.headers["sec-websocket-key"];
    const version = req.headers["sec-websocket-version"];
    const upgrade = req.headers.upgrade?.toLowerCase();
    if (req.method !== "GET" || upgrade !== "websocket" || !key || !/^[+/0-9A-Za-z]{22}==$/.test(key)) {
      return refuse(socket, 400);
    }
    if (version !== "13" && version !== "8") return refuse(socket, 400);
    const connectRequestId = newAwsId();
    const info: ConnectionInfo = {
      connectionId: newAwsId(),
      domainName: req.headers.host ?? `${options.host}:${options.port}`,
      sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, "") ?? "127.0.0.1",
      userAgent: req.headers["user-agent"],
      connectedAt: Date.now(),
      connectRequestId,
    };
    const event = connectEvent(options, info, req);
    const result = await integrate(event);
    log(event, result);
    if (result.status < 200 || result.status > 299) return refuse(socket, result.status);
    if (stopping || socket.destroyed) {
      // The client left (or the stack is stopping) while $connect ran: the connection was stored, so it ends here.
      socket.destroy();
      if (!stopping) await disconnect(info, 1006, "");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => open(ws, info));
  }

  function open(socket: WebSocket, info: ConnectionInfo): void {
    limitFrameSize(socket, MAX_FRAME_BYTES);
    const conn: LiveConnection = {
      info,
      socket,
      lastActiveAt: Date.now(),
      idleTimer: setTimeout(() => closeFromGateway(conn, GOING_AWAY), options.idleTimeoutMs),
      maxTimer: setTimeout(() => closeFromGateway(conn, GOING_AWAY), options.maxConnectionMs),
    };
    connections.set(info.connectionId, conn);
    // ws reports protocol errors (such as an over-size frame: 1009) here, then closes; the close handler does the rest.
    socket.on("error", () => undefined);
    socket.on("message", (data: Buffer, isBinary: boolean) => {
      touch(conn);
      const event = messageEvent(options, info, selectRoute(options.routes, data, isBinary), data, isBinary);
      integrate(event).then((result) => {
        log(event, result);
        if (result.errorMessage && socket.readyState === socket.OPEN) {
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
    });
    socket.on("close", (code: number, reason: Buffer) => {
      clearTimeout(conn.idleTimer);
      clearTimeout(conn.maxTimer);
      connections.delete(info.connectionId);
      if (stopping) return;
      const how = conn.closedBy ?? { code, reason: reason.toString("utf8") };
      disconnect(info, how.code, how.reason);
    });
  }

  async function disconnect(info: ConnectionInfo, code: number, reason: string): Promise<void> {
    const event = disconnectEvent(options, info, code, reason);
    log(event, await integrate(event));
  }

  function touch(conn: LiveConnection): void {
    conn.lastActiveAt = Date.now();
    conn.idleTimer.refresh();
  }

  /** The @connections API: POST (send), GET (info), DELETE (close), with AWS's error types. */
  async function handleManagement(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = /^\/([^/?]+)\/@connections\/([^/?]+)(?:\?.*)?$/.exec(req.url ?? "");
    if (!match || match[1] !== options.stage || !["POST", "GET", "DELETE"].includes(req.method ?? "")) {
      req.resume();
      return sendError(res, 403, "ForbiddenException", "Forbidden");
    }
    const connectionId = decodeURIComponent(match[2] as string);
    const body = req.method === "POST" ? await readBody(req, MAX_MESSAGE_BYTES) : Buffer.alloc(0);
    if (options.managementDelayMs > 0) await sleep(options.managementDelayMs);
    if (options.managementRateLimit > 0) {
      const second = Math.floor(Date.now() / 1000);
      if (rateWindow.second !== second) rateWindow = { second, count: 0 };
      if (++rateWindow.count > options.managementRateLimit) {
        return sendError(res, 429, "LimitExceededException", "Rate exceeded");
      }
    }
    if (body === undefined) {
      return sendError(res, 413, "PayloadTooLargeException", `Message exceeds ${MAX_MESSAGE_BYTES} bytes`);
    }
    const conn = connections.get(connectionId);
    if (!conn || conn.socket.readyState !== conn.socket.OPEN) {
      return sendError(res, 410, "GoneException", `Connection ${connectionId} is gone`);
    }
    if (req.method === "POST") {
      touch(conn);
      // API Gateway sends what it is given; a text frame when it is text, as clients expect.
      conn.socket.send(body, { binary: !isUtf8(body) });
      res.writeHead(200, { "content-type": "application/json", "content-length": "0" }).end();
    } else if (req.method === "GET") {
      const info = {
        connectedAt: new Date(conn.info.connectedAt).toISOString(),
        identity: { sourceIp: conn.info.sourceIp, userAgent: conn.info.userAgent },
        lastActiveAt: new Date(conn.lastActiveAt).toISOString(),
      };
      const text = JSON.stringify(info);
      res
        .writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
        .end(text);
    } else {
      closeFromGateway(conn, { code: 1000, reason: "" });
      res.writeHead(204).end();
    }
  }

  const port = await listenOn(
    server,
    options.host,
    options.port,
    "gateway",
    () =>
      new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(options.port, options.host, () => {
          server.off("error", reject);
          resolve();
        });
      }),
  );

  return {
    port,
    connectionCount: () => connections.size,
    sendToAll(data) {
      const sends = [...connections.values()].map(
        (conn) => new Promise<boolean>((resolve) => conn.socket.send(data, (error) => resolve(!error))),
      );
      return Promise.all(sends).then((sent) => sent.filter(Boolean).length);
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      const closed = [...connections.values()].map(
        (conn) =>
          new Promise<void>((resolve) => {
            conn.socket.once("close", () => resolve());
            conn.socket.close(GOING_AWAY.code, GOING_AWAY.reason);
          }),
      );
      // A client that does not answer the close handshake is cut off after a second.
      const grace = setTimeout(() => {
        for (const conn of connections.values()) conn.socket.terminate();
      }, 1000);
      await Promise.all(closed);
      clearTimeout(grace);
      for (const socket of pendingUpgrades) socket.destroy();
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** Closes a connection from the gateway's side; its `$disconnect` reports this code, not the client's echo. */
function closeFromGateway(conn: LiveConnection, how: { code: number; reason: string }): void {
  conn.closedBy = how;
  conn.socket.close(how.code, how.reason);
}

function refuse(socket: Duplex, status: number): void {
  if (socket.destroyed) return;
  const text = STATUS_CODES[status] ?? "Error";
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function sendError(res: ServerResponse, status: number, errorType: string, message: string): void {
  const body = JSON.stringify({ message });
  // The SDK maps errors by this header; a bare status surfaces as an "Unknown" error.
  res
    .writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
      "x-amzn-ErrorType": errorType,
    })
    .end(body);
}

/** Reads the request body, or resolves undefined (and drains the rest) once it exceeds `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on("end", () => resolve(size <= limit ? Buffer.concat(chunks) : undefined));
    req.on("error", reject);
  });
}

/** Fails at start-up, not at the first connection, when the ws internals that {@link limitFrameSize} uses are gone. */
function assertFrameLimitHook(): void {
  // ws's ESM entry exports its Receiver class; @types/ws does not declare it.
  const proto = (wsModule as unknown as { Receiver?: { prototype: Partial<WsReceiver> } }).Receiver
    ?.prototype;
  if (typeof proto?.haveLength !== "function" || typeof proto.createError !== "function") {
    throw new Error(
      "ws internals changed (Receiver.haveLength): cannot enforce API Gateway's 32 KB frame limit",
    );
  }
}

interface WsReceiver {
  _payloadLength: number;
  _opcode: number;
  haveLength(cb: (error?: Error) => void): void;
  createError(ctor: ErrorConstructor, message: string, prefix: boolean, status: number, code: string): Error;
}

/**
 * API Gateway limits each frame to 32 KB (closing with 1009) but accepts messages of up to 128 KB in several frames.
 * ws only bounds the whole message (`maxPayload`), so the frame check is added to this socket's receiver at the
 * point where ws reads a frame's length (ws 8.23, pinned; {@link assertFrameLimitHook} fails the start if that changes).
 */
function limitFrameSize(socket: WebSocket, maxFrameBytes: number): void {
  const receiver = (socket as unknown as { _receiver: WsReceiver })._receiver;
  const haveLength = receiver.haveLength;
  receiver.haveLength = function (this: WsReceiver, cb) {
    if (this._opcode < 0x08 && this._payloadLength > maxFrameBytes) {
      cb(
        this.createError(
          RangeError,
          "Max frame size exceeded",
          false,
          1009,
          "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH",
        ),
      );
      return;
    }
    haveLength.call(this, cb);
  };
}
