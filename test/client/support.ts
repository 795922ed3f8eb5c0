import { afterEach, beforeEach, vi } from "vitest";
import {
  type ClientOptions,
  type ConnectionState,
  createClient,
  type FanoutError,
  type SocketConstructor,
  type SocketLike,
} from "../../client/src/index.js";

type Handler = ((event: unknown) => void) | null;

/**
 * A WebSocket double for unit tests: records what the client sends, and plays the server side (accept, refuse,
 * deliver a frame, close) by calling the handlers the client installed, as a browser would.
 */
export class FakeSocket implements SocketLike {
  onopen: unknown = null;
  onmessage: unknown = null;
  onclose: unknown = null;
  onerror: unknown = null;
  readonly sent: string[] = [];
  /** The code the client closed with (`null` while it has not closed). */
  closedWith: number | undefined | null = null;

  constructor(readonly url: string) {}

  send(data: string): void {
    this.sent.push(data);
  }

  close(code?: number): void {
    this.closedWith = code;
  }

  /** The frames sent, parsed. */
  frames(): unknown[] {
    return this.sent.map((s) => JSON.parse(s));
  }

  /** The handshake succeeds. */
  accept(): void {
    (this.onopen as Handler)?.({ type: "open" });
  }

  /**
   * The handshake is refused (e.g. HTTP 401): an error, then a close with 1006, never an open. Browsers and Node's
   * built-in WebSocket say nothing more (`message` undefined); the `ws` package's error event says
   * `Unexpected server response: 401`.
   */
  refuse(message?: string): void {
    (this.onerror as Handler)?.({ type: "error", message });
    (this.onclose as Handler)?.({ type: "close", code: 1006, reason: "" });
  }

  /** The server sends a text frame. */
  deliver(frame: unknown): void {
    (this.onmessage as Handler)?.({
      type: "message",
      data: typeof frame === "string" ? frame : JSON.stringify(frame),
    });
  }

  /** The server closes the connection (1001 going away: the idle timeout, the 2-hour cap, a deploy). */
  serverClose(code = 1001): void {
    (this.onclose as Handler)?.({ type: "close", code, reason: "" });
  }
}

/** A WebSocket constructor whose every instance lands in `sockets`, in order. */
function fakeWebSocket(): { WebSocket: SocketConstructor; sockets: FakeSocket[] } {
  const sockets: FakeSocket[] = [];
  class Socket extends FakeSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
    }
  }
  return { WebSocket: Socket, sockets };
}

/** The socket at `index`, or a failure that says how many there are. */
export function socketAt(sockets: FakeSocket[], index: number): FakeSocket {
  const socket = sockets[index];
  if (!socket) throw new Error(`no socket ${index}: only ${sockets.length} were opened`);
  return socket;
}

/** A client on fake sockets with a fixed random source, recording its states and its `error` events. */
export function setup(options: Partial<ClientOptions> = {}) {
  const fake = fakeWebSocket();
  const client = createClient({
    url: "wss://example.test/prod",
    WebSocket: fake.WebSocket,
    random: () => 0.5,
    ...options,
  });
  const states: ConnectionState[] = [];
  const errors: FanoutError[] = [];
  client.on("state", (s) => states.push(s));
  client.on("error", (e) => errors.push(e));
  return { client, sockets: fake.sockets, states, errors };
}

/** Lets the token provider's promise and the client's continuation run. */
export async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

/** What a promise settled with: its rejection, or `resolved` (for assertions on either outcome). */
export function outcome(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => "resolved",
    (error: unknown) => error,
  );
}

/** Fake timers in every test of the calling `describe` block, real ones again after each. */
export function useFakeTimersPerTest(): void {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}
