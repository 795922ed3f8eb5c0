import WebSocket from "ws";
import { MAX_FRAME_BYTES } from "../../src/contract/index.js";
import { WAIT_MS } from "./wait.js";

/** A WebSocket client that records every frame it receives, parsed as JSON when it is. */
export class Client {
  readonly received: unknown[] = [];
  readonly raw: Array<{ data: Buffer; isBinary: boolean }> = [];
  closed: Promise<{ code: number; reason: string }>;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      this.raw.push({ data, isBinary });
      let value: unknown = data.toString("utf8");
      try {
        value = JSON.parse(value as string);
      } catch {
        // Kept as text.
      }
      this.received.push(value);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) =>
      ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /**
   * Connects and resolves once the handshake is done (rejects with the HTTP status if it is refused).
   * @param url - the WebSocket URL (with `?token=` in token mode: see {@link TestStack.tokenUrl})
   * @param options - ws client options (an `origin`, say)
   */
  static connect(url: string, options?: WebSocket.ClientOptions): Promise<Client> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options);
      const client = new Client(ws);
      ws.once("open", () => resolve(client));
      ws.once("unexpected-response", (_req, res) => {
        reject(new HandshakeRefused(res.statusCode ?? 0));
        res.resume();
        ws.terminate();
      });
      ws.once("error", reject);
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** Resolves with the first received frame (from `from` on) that matches, or rejects after {@link WAIT_MS}. */
  async next(match: (frame: unknown) => boolean, from = 0): Promise<unknown> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const found = this.received.slice(from).find(match);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no matching frame within ${WAIT_MS} ms; got ${JSON.stringify(this.received)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** A ping round trip: every frame sent to this client before the pong was posted has arrived by now. */
  async roundTrip(): Promise<void> {
    const from = this.received.length;
    this.send({ action: "ping" });
    await this.next(isFrame({ action: "pong" }), from);
  }

  close(): void {
    this.ws.close();
  }
}

/** The gateway refused the WebSocket handshake with this HTTP status. */
export class HandshakeRefused extends Error {
  constructor(readonly status: number) {
    super(`handshake refused with HTTP ${status}`);
  }
}

/** A matcher for {@link Client.next}: the frame equal, as JSON, to `expected`. */
export function isFrame(expected: unknown): (frame: unknown) => boolean {
  return (frame) => JSON.stringify(frame) === JSON.stringify(expected);
}

/**
 * A matcher for the acknowledgement of a subscribe to `channel`: `{"action":"subscribed","channel":C}`, with the
 * history's head (`offset`, `epoch`) and `recovered` on a channel that keeps history.
 */
export function isSubscribedTo(channel: string): (frame: unknown) => boolean {
  return (frame) => {
    const f = frame as { action?: unknown; channel?: unknown } | null;
    return typeof f === "object" && f !== null && f.action === "subscribed" && f.channel === channel;
  };
}

/** A matcher for the broadcast of `message`: the frame `{"message": message}`. */
export function isBroadcastOf(message: unknown): (frame: unknown) => boolean {
  return isFrame({ message });
}

/** How many times each client received the broadcast of `message`. */
export function broadcastCounts(clients: readonly Client[], message: unknown): number[] {
  return clients.map((client) => client.received.filter(isBroadcastOf(message)).length);
}

/** How many broadcasts of `message` the clients received together. */
export function broadcastTotal(clients: readonly Client[], message: unknown): number {
  return broadcastCounts(clients, message).reduce((a, b) => a + b, 0);
}

/** Whether a frame is an error frame of the service (`{"error": …}`). */
export function isErrorFrame(frame: unknown): boolean {
  return typeof frame === "object" && frame !== null && "error" in frame;
}

/** Whether a frame is API Gateway's own answer to a failed integration (it carries a `requestId`). */
export function isGatewayError(frame: unknown): boolean {
  return typeof frame === "object" && frame !== null && "requestId" in frame;
}

/** Sends one message in frames of at most 32 KB, as API Gateway requires for messages over 32 KB. */
export function sendFragmented(client: Client, text: string): void {
  const data = Buffer.from(text, "utf8");
  for (let offset = 0; offset < data.length; offset += MAX_FRAME_BYTES) {
    const chunk = data.subarray(offset, offset + MAX_FRAME_BYTES);
    client.ws.send(chunk, { binary: false, fin: offset + MAX_FRAME_BYTES >= data.length });
  }
}

/** Connects `n` clients at once. */
export function connectMany(url: string, n: number): Promise<Client[]> {
  return Promise.all(Array.from({ length: n }, () => Client.connect(url)));
}
