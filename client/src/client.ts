import { backoffDelay } from "./backoff.js";
import { FanoutError } from "./errors.js";
import { type AttemptFailure, connectError } from "./failures.js";
import { encodeFrame, type Outgoing, readFrame } from "./frames.js";
import { type ClientOptions, type SocketConstructor, type SocketLike, withDefaults } from "./options.js";
import { positions } from "./positions.js";
import { recentIds } from "./recent-ids.js";
import { waitingRequests } from "./requests.js";
import type { ChannelMessage, ClientEvents, ConnectionState, FanoutClient } from "./types.js";

/** One WebSocket and its timers. */
interface Conn {
  ws: SocketLike;
  open: boolean;
  /** While renewing: the channels this connection must still confirm before it replaces the current one. */
  resub?: Set<string> | undefined;
  /** The handshake (and, for a renewal, resubscription) deadline, then the renewal moment. */
  timer: Timer;
  ping?: Timer;
  /** Set while a ping waits for an answer. */
  pong?: Timer;
  /** The last error event, which may say why the handshake failed. */
  error?: unknown;
  /** The token of this attempt, kept out of error texts. */
  token: string | undefined;
}

type Timer = ReturnType<typeof setTimeout> | undefined;

/**
 * Creates a client and starts connecting.
 *
 * A connection drop (a server-side close, an idle close, a dead link) leads to a retry after a full-jitter
 * backoff; every retry asks the token provider again, so a refused handshake gets a fresh token, and every failed
 * attempt is reported as an `error` event (`CONNECT`). Once open, the client resubscribes every channel, re-sends
 * the publishes still waiting for `accepted`, then sends what was queued meanwhile. Ahead of the 2-hour cap it
 * opens a second connection, resubscribes on it, and only then closes the first (messages with an id that arrive
 * on both are delivered once). A request not settled within `requestTimeoutMs` rejects with `TIMEOUT`.
 */
export function createClient(options: ClientOptions): FanoutClient {
  const platform = options.WebSocket ?? (globalThis as { WebSocket?: SocketConstructor }).WebSocket;
  if (!platform) throw new TypeError("no WebSocket: pass options.WebSocket");
  const WS: SocketConstructor = platform;
  const settings = withDefaults(options);
  /** The URL without its query, which may hold a token: what error texts name. */
  const where = options.url.split("?")[0] ?? "";

  const listeners = new Map<string, Set<(value: unknown) => void>>();
  const channels = new Set<string>();
  const requests = waitingRequests(
    settings.requestTimeoutMs,
    settings.maxResends,
    () => (current?.open ? undefined : lastFailure),
    (frame) => {
      if (!current?.open) return undefined;
      current.ws.send(frame);
      return current;
    },
  );
  const isNew = recentIds();
  const order = positions(emit, isNew, sendAll, settings.gapWaitMs);
  /** The last failed connection attempt, until a connection opens: the cause of a request's TIMEOUT. */
  let lastFailure: FanoutError | undefined;
  let state: ConnectionState = "connecting";
  let current: Conn | undefined;
  let next: Conn | undefined;
  let attempt = 0;
  let opening = false;
  let retryTimer: Timer;

  function emit<K extends keyof ClientEvents>(event: K, value: ClientEvents[K]): void {
    for (const listener of listeners.get(event) ?? []) listener(value);
  }

  function setState(to: ConnectionState): void {
    if (state === to) return;
    state = to;
    emit("state", to);
  }

  /**
   * A connection attempt failed: remembered for the TIMEOUT of waiting requests, and reported in a microtask, so
   * that the caller of createClient has listened by then (the first attempt starts synchronously).
   */
  function fail(failure: AttemptFailure, token: string | undefined): void {
    const error = connectError(where, failure, token);
    lastFailure = error;
    queueMicrotask(() => {
      if (state !== "closed") emit("error", error);
    });
  }

  /** Drops a channel from the set kept across reconnects (and from a renewal's confirmations still awaited). */
  function forget(channel: string): void {
    channels.delete(channel);
    order.stop(channel);
    for (const conn of [current, next]) if (conn) confirm(conn, channel);
  }

  /** Sends on every open connection (a renewal in progress must follow subscription changes too). */
  function sendAll(frame: string): boolean {
    let sent = false;
    for (const conn of [current, next]) {
      if (conn?.open) {
        conn.ws.send(frame);
        sent = true;
      }
    }
    return sent;
  }

  async function open(renewal: boolean): Promise<void> {
    let ws: SocketLike;
    let token: string | undefined;
    if (!renewal) opening = true;
    try {
      let url = options.url;
      if (options.token) {
        try {
          token = await options.token();
        } catch (error) {
          fail({ kind: "token", error }, undefined);
          throw error;
        }
        url += `${url.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}`;
      }
      // The client may have closed, or the connection being renewed died and a retry took over, meanwhile.
      if (state === "closed" || (renewal && (next || !current?.open)) || (!renewal && current)) return;
      try {
        ws = new WS(url);
      } catch (error) {
        fail({ kind: "constructor", error }, token);
        throw error;
      }
    } catch {
      if (!renewal) retry();
      return;
    } finally {
      if (!renewal) opening = false;
    }
    const conn: Conn = {
      ws,
      open: false,
      timer: setTimeout(
        () => drop(conn, { kind: "timeout", afterMs: settings.connectTimeoutMs }),
        settings.connectTimeoutMs,
      ),
      token,
    };
    if (renewal) next = conn;
    else current = conn;
    const ping = () => {
      ws.send('{"action":"ping"}');
      conn.pong ??= setTimeout(() => drop(conn), settings.pongTimeoutMs);
      conn.ping = setTimeout(ping, settings.pingIntervalMs);
    };
    ws.onopen = () => {
      conn.open = true;
      conn.ping = setTimeout(ping, settings.pingIntervalMs);
      for (const channel of channels) ws.send(order.subscribe(channel));
      conn.resub = new Set(channels);
      if (conn === current || !channels.size) promote(conn);
    };
    ws.onmessage = (event: { data: unknown }) => receive(conn, event.data);
    ws.onclose = (event?: { code?: number }) =>
      drop(conn, { kind: "closed", error: conn.error, code: event?.code });
    // An error is always followed by a close, which does the work; the event may say why a handshake failed.
    ws.onerror = (event: unknown) => {
      conn.error = event;
    };
  }

  function renew(): void {
    if (!next && current?.open) void open(true);
  }

  /** Makes `conn` the current connection and sends what waited for one. */
  function promote(conn: Conn): void {
    clearTimeout(conn.timer);
    conn.timer = setTimeout(
      renew,
      settings.renewAfterMs[0] + settings.random() * (settings.renewAfterMs[1] - settings.renewAfterMs[0]),
    );
    if (conn !== current) {
      if (current) stop(current, 1000);
      current = conn;
      next = undefined;
    }
    conn.resub = undefined;
    attempt = 0;
    lastFailure = undefined;
    // What waited for a connection goes first, then the state changes: a listener that publishes on "open" sends
    // straight away, and its frame must not be among the waiting ones yet when they are re-sent (it went out twice).
    requests.flush();
    setState("open");
  }

  /** Stops a connection's timers and handlers and closes it; no event from it is processed afterwards. */
  function stop(conn: Conn, code?: number): void {
    clearTimeout(conn.timer);
    clearTimeout(conn.ping);
    clearTimeout(conn.pong);
    conn.open = false;
    conn.ws.onopen = conn.ws.onmessage = conn.ws.onclose = conn.ws.onerror = null;
    try {
      conn.ws.close(code);
    } catch {
      // Closing a socket that never opened can throw; it is abandoned either way.
    }
  }

  /**
   * A connection ended (closed, timed out, or dead): a failed attempt if it never opened, a lost connection for
   * the publishes in flight on it; retry unless another connection carries on.
   */
  function drop(conn: Conn, failure?: AttemptFailure): void {
    const opened = conn.open;
    stop(conn);
    if (conn === next) next = undefined;
    else if (conn === current) current = undefined;
    else return;
    if (!opened && failure) fail(failure, conn.token);
    requests.lost(conn, failure?.kind === "closed" ? failure.code : undefined);
    if (current) return;
    setState("reconnecting");
    // A renewal in progress becomes the way back; it is promoted once it has resubscribed.
    if (!next) retry();
  }

  function retry(): void {
    if (state === "closed") return;
    setState("reconnecting");
    clearTimeout(retryTimer);
    retryTimer = setTimeout(
      () => open(false),
      backoffDelay(attempt++, settings.backoffBaseMs, settings.backoffCapMs, settings.random),
    );
  }

  function receive(conn: Conn, data: unknown): void {
    clearTimeout(conn.pong);
    conn.pong = undefined;
    const { value, incoming } = readFrame(data);
    emit("frame", value);
    if (incoming.kind === "error") {
      const { error } = incoming;
      const again = order.refused(error);
      if (again) conn.ws.send(again);
      else if (error.action === "subscribe" && error.channel !== undefined) forget(error.channel);
      const matched =
        !!again ||
        (error.id !== undefined && requests.answer(error.id, error)) ||
        (error.channel !== undefined && requests.settle(error.action, error.channel, error));
      if (!matched) emit("error", error);
    } else if (incoming.kind === "subscribed" || incoming.kind === "unsubscribed") {
      const { channel } = incoming;
      requests.settle(incoming.kind.slice(0, -1), channel);
      if (incoming.kind === "subscribed" && channel !== undefined) {
        order.subscribed(channel, incoming);
        confirm(conn, channel);
      }
      // The service runs a connection's requests side by side, so this answer may have come after the opposite
      // request's (or after a subscribe timed out): what the app asked last is asked again, never left undone.
      const wanted = channel !== undefined && channels.has(channel);
      if (channel !== undefined && wanted !== (incoming.kind === "subscribed") && conn.open)
        conn.ws.send(wanted ? order.subscribe(channel) : JSON.stringify({ action: "unsubscribe", channel }));
    } else if (incoming.kind === "accepted") {
      requests.answer(incoming.id);
    } else if (incoming.kind === "history") {
      requests.settle("history", incoming.channel, undefined, incoming.messages);
    } else if (incoming.kind === "message") {
      const { m } = incoming;
      if (m.channel !== undefined) order.message(m as ChannelMessage);
      else if (isNew(undefined, m.id)) emit("broadcast", { message: m.message, id: m.id });
    }
  }

  /** A renewal connection confirmed (or was refused) a channel; it takes over once it has them all. */
  function confirm(conn: Conn, channel: string): void {
    if (conn.resub?.delete(channel) && !conn.resub.size && conn !== current) promote(conn);
  }

  async function publish(frame: Outgoing & { action: "publish" | "broadcast" }): Promise<void> {
    const { action, channel, id } = frame;
    return requests.publish(encodeFrame(frame, settings.canFragment), { action, channel, id });
  }

  void open(false);

  return {
    get state() {
      return state;
    },
    channels,
    async subscribe(channel) {
      // Refused before the channel is kept if its frame could not be sent (the frame sent carries the position).
      encodeFrame({ action: "subscribe", channel }, settings.canFragment);
      channels.add(channel);
      // A subscription never confirmed is not kept: the app was told it failed.
      const done = requests.wait("subscribe", channel, () => forget(channel));
      sendAll(order.subscribe(channel));
      return done;
    },
    async unsubscribe(channel) {
      const frame = encodeFrame({ action: "unsubscribe", channel }, settings.canFragment);
      forget(channel);
      const done = requests.wait("unsubscribe", channel);
      if (!sendAll(frame)) requests.settle("unsubscribe", channel);
      return done;
    },
    publish(channel, message, { id } = {}) {
      return publish({ action: "publish", channel, message, id });
    },
    broadcast(message, { id } = {}) {
      return publish({ action: "broadcast", message, id });
    },
    async history(channel, { limit } = {}) {
      const frame = encodeFrame({ action: "history", channel, limit }, settings.canFragment);
      return requests.wait<ChannelMessage[]>("history", channel, undefined, frame);
    },
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener as (value: unknown) => void);
      return () => set.delete(listener as (value: unknown) => void);
    },
    reconnect() {
      if (current?.open) renew();
      else if (!current && !opening && state !== "closed") {
        clearTimeout(retryTimer);
        void open(false);
      }
    },
    close() {
      if (state === "closed") return;
      setState("closed");
      clearTimeout(retryTimer);
      for (const conn of [current, next]) if (conn) stop(conn, 1000);
      current = next = undefined;
      requests.rejectAll(new FanoutError("CLOSED", "client closed"));
    },
  };
}
