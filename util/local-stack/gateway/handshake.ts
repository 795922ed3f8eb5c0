/**
 * The WebSocket handshake as API Gateway answers it: what a valid upgrade request is, the connection it opens, the
 * `$connect` authorizer's verdict, and the HTTP refusal when it is not accepted.
 */
import { type IncomingMessage, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { newAwsId } from "../aws-ids.js";
import { authorizerAccessRecord } from "./access-log.js";
import { authorizerEvent, type ConnectionInfo, connectEvent } from "./events.js";
import { authorizeConnect } from "./integration.js";
import type { GatewayOptions } from "./options.js";

/** Why a handshake is refused before anything runs: its HTTP status and any header to answer with. */
interface HandshakeRefusal {
  status: number;
  headers?: Record<string, string>;
}

/**
 * Checks an upgrade request before `$connect` runs, so that a handshake ws would reject never stores a connection.
 * @returns the refusal, or undefined when the request is a valid handshake for `stage`
 */
export function checkHandshake(req: IncomingMessage, stage: string): HandshakeRefusal | undefined {
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  if (path !== `/${stage}` && path !== `/${stage}/`) return { status: 403 };
  const key = req.headers["sec-websocket-key"];
  const upgrade = req.headers.upgrade?.toLowerCase();
  if (req.method !== "GET" || upgrade !== "websocket" || !key || !/^[+/0-9A-Za-z]{22}==$/.test(key)) {
    return { status: 400 };
  }
  const version = req.headers["sec-websocket-version"];
  // RFC 6455 4.4: an unsupported version gets 426 and the versions the server speaks.
  if (version !== "13" && version !== "8") return { status: 426, headers: { "Sec-WebSocket-Version": "13" } };
  return undefined;
}

/** What the gateway knows of a new connection from its upgrade request: a fresh id, the client's address and agent. */
export function connectionInfo(
  req: IncomingMessage,
  options: Pick<GatewayOptions, "host" | "port">,
): ConnectionInfo {
  return {
    connectionId: newAwsId(),
    domainName: req.headers.host ?? `${options.host}:${options.port}`,
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
export async function authorizeHandshake(
  options: GatewayOptions,
  info: ConnectionInfo,
  req: IncomingMessage,
  where: { region: string; accountId: string },
): Promise<number> {
  const connect = connectEvent(options, info, req);
  const token = new URL(req.url ?? "/", "http://localhost").searchParams.get("token");
  if (token === null || token === "") {
    options.accessLog(authorizerAccessRecord(connect, 401, "Unauthorized", 0));
    return 401;
  }
  const decision = await authorizeConnect(
    options.invoke,
    authorizerEvent(connect, options, where),
    options.integrationTimeoutMs,
  );
  if (decision.stopped) return 500;
  if (decision.status !== 200) {
    options.accessLog(
      authorizerAccessRecord(connect, decision.status, decision.errorMessage, decision.latency),
    );
    return decision.status;
  }
  info.authorizer = decision.context;
  return 200;
}

/** Answers an upgrade request with an HTTP error and ends the socket. */
export function refuse(socket: Duplex, status: number, headers: Record<string, string> = {}): void {
  if (socket.destroyed) return;
  const text = STATUS_CODES[status] ?? "Error";
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.end(`HTTP/1.1 ${status} ${text}\r\n${extra.join("")}Connection: close\r\nContent-Length: 0\r\n\r\n`);
}
