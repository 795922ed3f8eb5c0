/** What the channel tests share: the deliveries a client got, subscribing, and the membership keys in S3. */
import type { S3Client } from "@aws-sdk/client-s3";
import {
  CHANNEL_MEMBERS_PREFIX,
  CONNECTION_CHANNELS_PREFIX,
  encodeKeySegment,
} from "../../src/contract/index.js";
import { keysUnder, type TestStack } from "./stack.js";
import { type Client, isSubscribedTo } from "./ws-client.js";

/** A frame delivered through a channel; `offset` and `epoch` on a channel that keeps history. */
interface ChannelDelivery {
  channel: string;
  message: unknown;
  id: string;
  offset?: number;
  epoch?: string;
}

/** What an epoch looks like on the wire: hours since 1970 in base 36. */
export const EPOCH = /^[0-9a-z]{1,6}$/;

/**
 * A matcher for the delivery of `expected` (`{channel, message, id}`) at `offset` of some epoch: the frame a
 * subscriber of a channel that keeps history receives.
 */
export function isDeliveryAt(expected: Omit<ChannelDelivery, "offset" | "epoch">, offset: number) {
  return (frame: unknown): boolean => {
    const { epoch, ...rest } = (frame ?? {}) as ChannelDelivery;
    return (
      typeof epoch === "string" &&
      EPOCH.test(epoch) &&
      JSON.stringify(rest) === JSON.stringify({ ...expected, offset })
    );
  };
}

/** The frames a client received that came through a channel (`{"channel",...}` deliveries), of one or any. */
export function deliveries(client: Client, channel?: string): ChannelDelivery[] {
  return client.received.filter(
    (f): f is ChannelDelivery =>
      typeof f === "object" &&
      f !== null &&
      "channel" in f &&
      "message" in f &&
      (channel === undefined || (f as { channel: unknown }).channel === channel),
  );
}

/** Subscribes and waits for the acknowledgement. */
export async function subscribe(client: Client, channel: string): Promise<void> {
  const from = client.received.length;
  client.send({ action: "subscribe", channel });
  await client.next(isSubscribedTo(channel), from);
}

/** The membership keys (both indexes) that name a connection. */
export async function membershipKeysOf(
  stack: TestStack,
  s3: S3Client,
  connectionId: string,
): Promise<string[]> {
  const encoded = encodeKeySegment(connectionId);
  const members = (await keysUnder(stack, s3, `${CHANNEL_MEMBERS_PREFIX}/`)).filter((key) =>
    key.endsWith(`/${encoded}`),
  );
  return [...members, ...(await keysUnder(stack, s3, `${CONNECTION_CHANNELS_PREFIX}/${encoded}/`))];
}

/** One membership as the bucket holds it: which of its two keys exist. */
export interface StoredMembership {
  connectionId: string;
  channel: string;
  /** `channel-members/<C>/~<bb>/<id>` exists: publishes to C reach the connection. */
  member: boolean;
  /** `connection-channels/<id>/<C>` exists: the reverse index (the limit, the cleanup) knows of it. */
  reverse: boolean;
}

/**
 * Every membership in the stack's bucket, read from both indexes and paired up, for the connections `ids` (all
 * when omitted). A pair with `member` but not `reverse` is an orphan: it delivers, and no cleanup finds it.
 */
export async function storedMemberships(
  stack: TestStack,
  s3: S3Client,
  ids?: readonly string[],
): Promise<StoredMembership[]> {
  const byPair = new Map<string, StoredMembership>();
  const entry = (connectionId: string, channel: string) => {
    const key = `${connectionId} ${channel}`;
    const found = byPair.get(key) ?? { connectionId, channel, member: false, reverse: false };
    byPair.set(key, found);
    return found;
  };
  // channel-members/<enc(channel)>/~<bb>/<enc(id)>
  for (const key of await keysUnder(stack, s3, `${CHANNEL_MEMBERS_PREFIX}/`)) {
    const [, channel, , id] = key.split("/");
    entry(decodeURIComponent(id ?? ""), decodeURIComponent(channel ?? "")).member = true;
  }
  // connection-channels/<enc(id)>/<enc(channel)>
  for (const key of await keysUnder(stack, s3, `${CONNECTION_CHANNELS_PREFIX}/`)) {
    const [, id, channel] = key.split("/");
    entry(decodeURIComponent(id ?? ""), decodeURIComponent(channel ?? "")).reverse = true;
  }
  const all = [...byPair.values()];
  return ids === undefined ? all : all.filter((each) => ids.includes(each.connectionId));
}
