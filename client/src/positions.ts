/**
 * Channel positions: on a channel that keeps history every message carries its `offset` (1, 2, 3... without a
 * hole) in an `epoch`. Per channel the client remembers the last position it delivered and hands the application
 * every later message once, in offset order: a repeat is dropped; a message ahead of the next is held until the
 * ones before it arrive, or until `gapMs` has passed, when the client asks the service for what it missed (a
 * subscribe with `since`, the same request every resubscription sends). When the service can no longer send them
 * (`"recovered":false`, or RECOVERY_TOO_LARGE), the client reports the recovery incomplete and goes on from the
 * newest position the service named.
 */
import type { ClientEvents } from "./types.js";

/** A position the service sent: `offset` within `epoch`; no epoch with offset 0 is "before the first message". */
export interface Position {
  epoch?: string | undefined;
  offset: number;
}

type Message = ClientEvents["message"];

/** A channel the app keeps (tracks start with its subscribe frame and stop when the app leaves it). */
interface Track {
  /**
   * The last position delivered (or, before any, where `subscribed` said the history stood); undefined until
   * `subscribed` says, null on a channel without history.
   */
  at?: Position | null;
  /** Messages ahead of the next one, by offset. */
  held: Map<number, Message>;
  /**
   * The gap timer while a gap waits to be filled. When it fires the client asks for what is missing; a gap that
   * outlives the answer (or an answer that never comes) arms it again.
   */
  gap?: ReturnType<typeof setTimeout>;
}

/**
 * The positions of the channels the client keeps.
 * @param emit - the client's events (`message`, `recovery`)
 * @param isNew - the recent ids: a message repeated under the same id (an SNS retry, at a new position) goes once
 * @param send - sends a frame on the open connections, if there are any
 * @param gapMs - how long a message ahead of the next waits before the client asks for the ones before it
 */
export function positions(
  emit: <K extends keyof ClientEvents>(event: K, value: ClientEvents[K]) => void,
  isNew: (channel: string, id: string | undefined) => boolean,
  send: (frame: string) => unknown,
  gapMs: number,
) {
  const tracks = new Map<string, Track>();

  const deliver = (m: Message) => {
    if (isNew(m.channel, m.id)) emit("message", m);
  };

  /** The subscribe of a channel, from the last position delivered when there is one; tracks the channel from now. */
  function subscribe(channel: string): string {
    if (!tracks.has(channel)) tracks.set(channel, { held: new Map() });
    return JSON.stringify({ action: "subscribe", channel, since: tracks.get(channel)?.at ?? undefined });
  }

  /** Hands over every held message that comes next; keeps a gap timer while some remain held. */
  function drain(channel: string, track: Track): void {
    const { at, held } = track;
    const next = at && held.get(at.offset + 1);
    // The next one: offset + 1 in the same epoch (in any epoch after "before the first message").
    if (next && (next.epoch === at.epoch || !at.epoch)) {
      held.delete(at.offset + 1);
      track.at = { epoch: next.epoch, offset: at.offset + 1 };
      deliver(next);
      drain(channel, track);
    } else if (!held.size) {
      clearTimeout(track.gap);
      track.gap = undefined;
    } else
      track.gap ??= setTimeout(() => {
        track.gap = undefined;
        send(subscribe(channel));
      }, gapMs);
  }

  /** Stops tracking a channel left. */
  function stop(channel: string): void {
    clearTimeout(tracks.get(channel)?.gap);
    tracks.delete(channel);
  }

  return {
    stop,
    subscribe,
    /**
     * A message of a channel: dropped when the app left the channel (the service may deliver until it has the
     * unsubscribe), delivered as it is without a position, else delivered, held or dropped by its position.
     */
    message(m: Message): void {
      const track = tracks.get(m.channel);
      const at = track?.at;
      if (!track) return;
      if (at === null || m.offset === undefined) deliver(m);
      else if (!(at && m.epoch === at.epoch && m.offset <= at.offset)) track.held.set(m.offset, m);
      // Before `subscribed` says where the history stood, everything waits.
      if (at) drain(m.channel, track);
    },
    /**
     * A `subscribed` acknowledgement: where the history stood (`offset` and `epoch`, absent on a channel without
     * history) and, after a `since`, whether every missed message came first (`recovered`).
     */
    subscribed(channel: string, head: Partial<Position> & { recovered?: boolean | undefined }): void {
      const track = tracks.get(channel);
      const { offset, recovered } = head;
      if (!track) return;
      // No history, no positions: every message goes out as it comes (none waits: none has a position).
      if (offset === undefined) {
        track.at = null;
        return;
      }
      if (recovered !== undefined) emit("recovery", { channel, complete: recovered });
      if (!track.at || recovered === false) {
        // A fresh subscription starts at the head; an incomplete recovery skips to it. What is held from before it
        // (or from an epoch that has ended) will never come next.
        track.at = { epoch: head.epoch, offset };
        for (const [held, m] of track.held)
          if (held <= offset || (head.epoch && m.epoch !== head.epoch)) track.held.delete(held);
      }
      drain(channel, track);
    },
    /**
     * An error frame: when the service refused a recovery as too large (RECOVERY_TOO_LARGE) for a channel still
     * kept, reported as an incomplete recovery rather than an error, and the channel starts again at the newest
     * message. Returns the subscribe to send then (without `since`).
     */
    refused({ code, channel }: { code: string; channel?: string | undefined }): string | undefined {
      if (code !== "RECOVERY_TOO_LARGE" || !tracks.has(channel as string)) return undefined;
      emit("recovery", { channel: channel as string, complete: false });
      stop(channel as string);
      return subscribe(channel as string);
    },
  };
}
