/**
 * The WebSocket client of `util/verify`: plain `ws`, no reconnect and no keepalive, so that every refusal, drop and
 * missing frame shows as what it is (the client library would retry and hide it). It keeps every text frame it
 * receives, in order, and waits for one with a deadline.
 */
import WebSocket from "ws";
import { formatDuration } from "../lib/timeout.js";

/** The gateway refused the WebSocket handshake with an HTTP status (401: no or bad token). */
export class HandshakeRefusedError extends Error {
  override name = "HandshakeRefusedError";
  constructor(readonly status: number) {
    super(`the handshake was refused with HTTP ${status}`);
  }
}

/** How long a close handshake may take before the socket is dropped. */
const CLOSE_GRACE_MS = 2000;

/** One connection to the stack. */
export class ProbeSocket {
  /** Every text frame received, in order, as sent. */
  readonly frames: string[] = [];
  private readonly wakers = new Set<() => void>();
  private closedWith: { code: number; reason: string } | undefined;

  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      this.frames.push(isBinary ? `base64:${data.toString("base64")}` : data.toString("utf8"));
      this.wake();
    });
    ws.on("close", (code: number, reason: Buffer) => {
      this.closedWith = { code, reason: reason.toString("utf8") };
      this.wake();
    });
  }

  /**
   * Connects; resolves once the handshake is done.
   * @param url - the WebSocket URL, with `?token=` when the stack needs one
   * @param timeoutMs - how long the handshake may take
   * @throws HandshakeRefusedError when the gateway answers the upgrade with an HTTP status; an Error naming the
   *   network error (ECONNREFUSED, ENOTFOUND) or the timeout otherwise
   */
  static open(url: string, timeoutMs: number): Promise<ProbeSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
      const socket = new ProbeSocket(ws);
      ws.once("open", () => resolve(socket));
      ws.once("unexpected-response", (_request, response) => {
        response.resume();
        ws.terminate();
        reject(new HandshakeRefusedError(response.statusCode ?? 0));
      });
      ws.once("error", (error: NodeJS.ErrnoException) => {
        const cause = error.code ?? error.message;
        reject(
          new Error(
            /timed out/i.test(error.message) ? `no handshake within ${formatDuration(timeoutMs)}` : cause,
          ),
        );
      });
    });
  }

  /**
   * Sends a JSON frame.
   * @param frame - the frame's value
   */
  send(frame: object): void {
    this.ws.send(JSON.stringify(frame));
  }

  /**
   * The first frame received at index `from` or later that `match` accepts, parsed as JSON when it parses.
   * @param match - the test, on the parsed frame and its text
   * @param deadline - when to give up (epoch ms)
   * @param what - what is waited for, for the message
   * @param from - the first index to look at
   * @throws Error saying what did not come, what came instead, and whether the connection closed
   */
  async waitFor(
    match: (frame: unknown, text: string) => boolean,
    deadline: number,
    what: string,
    from = 0,
  ): Promise<unknown> {
    for (;;) {
      for (let i = from; i < this.frames.length; i++) {
        const text = this.frames[i] as string;
        const frame = parseJson(text);
        if (match(frame, text)) return frame;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.closedWith !== undefined) {
        const got = this.frames.slice(from);
        const closed = this.closedWith
          ? `; the connection closed (${this.closedWith.code}${this.closedWith.reason ? ` ${this.closedWith.reason}` : ""})`
          : "";
        throw new Error(
          `no ${what}${left <= 0 ? " in time" : ""}${closed}; received ${got.length === 0 ? "nothing" : got.map(brief).join(", ")}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        const wake = () => done();
        this.wakers.add(wake);
        function done() {
          clearTimeout(timer);
          resolve();
        }
      });
    }
  }

  /** Closes with 1000 and resolves once closed (the socket is dropped if the server does not answer in time). */
  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
      this.ws.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      this.ws.close(1000);
    });
  }

  private wake(): void {
    for (const wake of this.wakers) wake();
    this.wakers.clear();
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A frame as quoted in a message: the start of it. */
function brief(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
