/**
 * What waits for an answer from the service, and its bounds: subscribe and unsubscribe waiters, publishes and
 * broadcasts with an id until `accepted` (re-sent on each new connection, given up after `maxResends` lost ones),
 * history requests until their answer (one per channel on the wire, re-sent on each new connection), and frames
 * without an id made while no connection was open. Every request rejects with TIMEOUT after `requestTimeoutMs`
 * unless settled first, and is then forgotten, so that it is never sent afterwards.
 */
import { FanoutError, type RequestContext } from "./errors.js";
import { notAcceptedError, timeoutError } from "./failures.js";

interface Waiter {
  /** Resolves with the answer's value (a history request's messages), if it has one. */
  resolve(value?: unknown): void;
  reject(error: FanoutError): void;
  /** A history request's frame, sent once the request is its channel's first. */
  frame?: string | undefined;
}

/** A publish or broadcast with an id, until `accepted`. */
interface Ack {
  frame: string;
  waiter: Waiter;
  context: RequestContext & { id: string };
  /** The connection it was last sent on (any token the caller uses to tell connections apart). */
  sentOn: unknown;
  /** How many connections closed after it was sent on them, before it was accepted. */
  lost: number;
}

/**
 * The requests of one client.
 * @param timeoutMs - `requestTimeoutMs`
 * @param maxResends - `maxResends`
 * @param cannotConnect - the last failed connection attempt while no connection is open: the TIMEOUT's cause
 * @param send - sends a frame on the current connection, if one is open, and returns that connection (any token
 *   that tells connections apart), else undefined
 */
export function waitingRequests(
  timeoutMs: number,
  maxResends: number,
  cannotConnect: () => FanoutError | undefined,
  send: (frame: string) => unknown,
) {
  /** Subscribe, unsubscribe and history waiters by `action channel`, oldest first. */
  const waiters = new Map<string, Waiter[]>();
  /** Publishes and broadcasts with an id, by id. */
  const acks = new Map<string, Ack>();
  /** Frames without an id made while no connection was open. */
  const outbox: Array<{ frame: string; waiter: Waiter }> = [];

  /**
   * A request's promise and its settlers. Unless settled within `timeoutMs`, `forget` removes it from where it
   * waits and it rejects with TIMEOUT.
   */
  function pending<T = void>(
    context: RequestContext,
    forget: (self: Waiter) => void,
  ): { promise: Promise<T>; waiter: Waiter } {
    let waiter: Waiter | undefined;
    const promise = new Promise<T>((resolve, reject) => {
      const self: Waiter = {
        resolve(value) {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject(error) {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        forget(self);
        reject(timeoutError(context, timeoutMs, cannotConnect()));
      }, timeoutMs);
      waiter = self;
    });
    return { promise, waiter: waiter as Waiter };
  }

  /**
   * Keeps the waiters of an action and channel still waiting, oldest first. A history request that has just become
   * its channel's first goes on the wire: the answer names its channel only, and the service may answer two
   * requests in either order, so one per channel is on the wire at a time.
   * @param before - the first one until now
   */
  function keep(key: string, rest: Waiter[], before: Waiter | undefined): void {
    if (rest.length) waiters.set(key, rest);
    else waiters.delete(key);
    const [first] = rest;
    if (first?.frame && first !== before) send(first.frame);
  }

  return {
    /**
     * Waits for the answer to a subscribe, an unsubscribe or a history request.
     * @param expired - called when the last waiter for this action and channel timed out
     * @param frame - a history request's frame: sent now if it is its channel's only one, else once those before
     *   it are answered or have timed out, and again on each new connection until answered (`flush`)
     * @returns the answer's value: a history request's messages
     */
    wait<T = void>(
      action: "subscribe" | "unsubscribe" | "history",
      channel: string,
      expired?: () => void,
      frame?: string,
    ): Promise<T> {
      const key = `${action} ${channel}`;
      const { promise, waiter } = pending<T>({ action, channel }, (self) => {
        const all = waiters.get(key) ?? [];
        const rest = all.filter((w) => w !== self);
        keep(key, rest, all[0]);
        if (!rest.length) expired?.();
      });
      waiter.frame = frame;
      const all = waiters.get(key) ?? [];
      keep(key, [...all, waiter], all[0]);
      return promise;
    },

    /**
     * Settles what waits for an answer to an action on a channel (with the answer's value: a history request's
     * messages): every subscribe or unsubscribe waiter, the history request on the wire only (the channel's first);
     * tells whether one waited.
     */
    settle(action: unknown, channel: string | undefined, error?: FanoutError, value?: unknown): boolean {
      const key = `${action} ${channel}`;
      const all = waiters.get(key) ?? [];
      const settled = action === "history" ? all.slice(0, 1) : all;
      keep(key, all.slice(settled.length), all[0]);
      for (const waiter of settled) error ? waiter.reject(error) : waiter.resolve(value);
      return settled.length > 0;
    },

    /**
     * Sends a publish or broadcast. Without an id it resolves once sent, and waits for a connection while none is
     * open; with one it waits for `accepted`, and is sent again on each new connection until then (`flush`, `lost`).
     * @param frame - its frame, checked
     */
    publish(frame: string, context: RequestContext): Promise<void> {
      const { id } = context;
      if (id === undefined) {
        if (send(frame)) return Promise.resolve();
        const { promise, waiter } = pending(context, (self) => {
          const index = outbox.findIndex((entry) => entry.waiter === self);
          if (index >= 0) outbox.splice(index, 1);
        });
        outbox.push({ frame, waiter });
        return promise;
      }
      if (acks.has(id))
        return Promise.reject(new FanoutError("DUPLICATE_ID", "id is still pending", context));
      const { promise, waiter } = pending(context, () => acks.delete(id));
      acks.set(id, { frame, waiter, context: { ...context, id }, sentOn: send(frame), lost: 0 });
      return promise;
    },

    /** The answer to a publish or broadcast with an id: `accepted`, or an error; tells whether one waited. */
    answer(id: string, error?: FanoutError): boolean {
      const ack = acks.get(id);
      acks.delete(id);
      if (ack) error ? ack.waiter.reject(error) : ack.waiter.resolve();
      return !!ack;
    },

    /**
     * A connection opened (or took over) and is now the current one: sends every publish still waiting for
     * `accepted`, each channel's history request on the wire (an answer on the connection before will never come),
     * then what was made while none was open.
     */
    flush(): void {
      for (const ack of acks.values()) ack.sentOn = send(ack.frame);
      for (const [first] of waiters.values()) if (first?.frame) send(first.frame);
      for (const { frame, waiter } of outbox.splice(0)) {
        send(frame);
        waiter.resolve();
      }
    },

    /**
     * A connection closed without the client asking: each publish in flight on it counts one lost connection, and
     * past `maxResends` it rejects with NOT_ACCEPTED instead of being sent again.
     * @param closeCode - the close code, when known (1009: a frame too large for the gateway)
     */
    lost(connection: unknown, closeCode: number | undefined): void {
      for (const [id, ack] of acks) {
        if (ack.sentOn !== connection) continue;
        ack.sentOn = undefined;
        if (++ack.lost <= maxResends) continue;
        acks.delete(id);
        ack.waiter.reject(notAcceptedError(ack.context, ack.lost, closeCode));
      }
    },

    /** Rejects every request with `error` (the client closed). */
    rejectAll(error: FanoutError): void {
      const all = [...waiters.values()].flat();
      for (const { waiter } of [...acks.values(), ...outbox.splice(0)]) all.push(waiter);
      waiters.clear();
      acks.clear();
      for (const waiter of all) waiter.reject(error);
    },
  };
}
