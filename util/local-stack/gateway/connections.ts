import { isUtf8 } from "node:buffer";
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import { MAX_FRAME_BYTES, MAX_MESSAGE_BYTES } from "../../../src/contract/index.js";
import { accessRecord } from "./access-log.js";
import {
  type ConnectionInfo,
  connectEvent,
  disconnectEvent,
  messageEvent,
  selectRoute,
  type WebSocketEvent,
} from "./events.js";
import { authorizeHandshake, checkHandshake, connectionInfo, refuse } from "./handshake.js";
import { type IntegrationResult, integrate } from "./integration.js";
import type { ManagementTarget } from "./management.js";
import { type GatewayOptions, SLOW_CONSUMER } from "./options.js";
import { limitFrameSize, wsWouldDropSilently } from "./ws-patches.js";

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
 * The gateway's connections and their steps: the handshake, the open connections, their events, and what the
 * @connections API does to them.
 */
export class GatewayConnections implements ManagementTarget {
  private readonly connections = new Map<string, LiveConnection>();
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

  /** Live WebSocket connections. */
  get count(): number {
    return this.connections.size;
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
    const refusal = checkHandshake(req, this.options.stage);
    if (refusal) return refuse(socket, refusal.status, refusal.headers);
    const info = connectionInfo(req, this.options);
    if (this.options.authorizer !== undefined) {
      const status = await authorizeHandshake(this.options, info, req, this.options.authorizer);
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
