import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Duplex } from "node:stream";
import { withConsole } from "../console/console.js";
import { listenOn } from "../http.js";
import { GatewayConnections } from "./connections.js";
import { managementHandler } from "./management.js";
import type { GatewayOptions } from "./options.js";
import { assertWsPatches } from "./ws-patches.js";

/** The running gateway. */
export interface Gateway {
  port: number;
  connectionCount(): number;
  /** Writes `data` to every open socket directly (no Lambda, no HTTP); resolves with the number written. */
  sendToAll(data: string | Uint8Array): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A WebSocket gateway that behaves like API Gateway's WebSocket API: one HTTP server serving the WebSocket upgrade
 * at `/<stage>` and the @connections API at `/<stage>/@connections/{id}` (and the web console at `/` when it has
 * one).
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  assertWsPatches();
  const connections = new GatewayConnections(options);
  const server = createServer(
    withConsole(options.console, () => connections.count, managementHandler(connections)),
  );
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    connections.upgrade(req, socket, head),
  );
  const port = await listenOn(server, options.host, options.port, "gateway", () => listen(server, options));
  return {
    port,
    connectionCount: () => connections.count,
    sendToAll: (data) => connections.sendToAll(data),
    stop: () => connections.stop(server),
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
