import type { S3Client } from "@aws-sdk/client-s3";
import {
  ALL_BUCKETS,
  type BucketRange,
  channelMembersRange,
  connectionChannelsPrefix,
  decodeKeySegment,
  memberIdOfKey,
  memberKey,
  reverseKey,
} from "../contract/storage.js";
import { S3Bucket } from "./s3.js";

/**
 * Channel memberships. Every membership is its own pair of keys (member, reverse), so two subscribes of one
 * connection running at once in two Lambda environments write different keys and lose nothing: there is no
 * read-modify-write. Invariant: once the changes in flight have ended, a member key never exists without its
 * reverse key, so the reverse index finds every channel a connection receives from, whatever the interleaving of
 * subscribes, unsubscribes and cleanups (the argument is in docs/channels.md, "Concurrent changes converge").
 */
export interface MembershipStore {
  /** Adds `connectionId` to `channel`; idempotent (re-subscribing also repairs a half-written subscription). */
  subscribe(connectionId: string, channel: string): Promise<void>;
  /** Removes `connectionId` from `channel`; idempotent. */
  unsubscribe(connectionId: string, channel: string): Promise<void>;
  /** The channels `connectionId` joined, from the reverse index (also counts them for the subscription limit). */
  channelsOf(connectionId: string): Promise<string[]>;
  /**
   * Lists one channel's members, a page at a time, so a caller can send before the last page loads.
   * @param range - the buckets to list (`src/contract/storage.ts`), so that a fan-out shard lists its part only; every bucket
   *   when omitted
   * @param writtenBy - leave out members whose key was written after this time (epoch ms); all when omitted
   */
  members(channel: string, range?: BucketRange, writtenBy?: number): AsyncIterable<string[]>;
  /** Removes each connection from every channel it joined (for `$disconnect` and 410s); missing ones are fine. */
  removeConnections(connectionIds: readonly string[]): Promise<void>;
  /**
   * Deletes the member keys of `connectionIds` in `channel` directly, without the reverse index: what a channel's
   * fan-out does for the members it found gone (410), so that a member key the reverse index does not know (written
   * before the convergent writes existed) is removed the first time a publish finds it.
   */
  removeMembers(channel: string, connectionIds: readonly string[]): Promise<void>;
}

/** Reverse-index listings in flight at once when many connections are removed (a 410 batch). */
const LIST_CONCURRENCY = 8;

/** Memberships in S3; the layout is in `src/contract/storage.ts` and `docs/channels.md`. */
export class S3MembershipStore implements MembershipStore {
  private readonly bucket: S3Bucket;

  /**
   * @param client - the S3 client
   * @param bucket - the bucket name (the connection store's bucket)
   */
  constructor(client: S3Client, bucket: string) {
    this.bucket = new S3Bucket(client, bucket);
  }

  /** @inheritdoc */
  async subscribe(connectionId: string, channel: string): Promise<void> {
    const reverse = reverseKey(connectionId, channel);
    const member = memberKey(channel, connectionId);
    // Reverse key first: a crash between the two puts leaves a reverse key without its member, which delivers
    // nothing and is removed by $disconnect. The other order could leave a member that no cleanup can find.
    await this.bucket.putEmpty(reverse);
    await this.bucket.putEmpty(member);
    // An unsubscribe or a cleanup of this connection may have deleted the reverse key since our put, and its
    // member delete may have come before ours: then our member key would have no reverse key. Checked after the
    // member put, so that either we see the reverse key gone, or the remover's last member delete comes after.
    if (!(await this.bucket.has(reverse))) await this.bucket.delete(member);
  }

  /** @inheritdoc */
  async unsubscribe(connectionId: string, channel: string): Promise<void> {
    const member = memberKey(channel, connectionId);
    // Member key first, for the same reason as in subscribe: the reverse key must outlive its member.
    await this.bucket.delete(member);
    await this.bucket.delete(reverseKey(connectionId, channel));
    // Again: a subscribe that checked the reverse key before our delete keeps the member key it wrote after our
    // first delete (docs/channels.md, "Concurrent changes converge").
    await this.bucket.delete(member);
  }

  /** @inheritdoc */
  async channelsOf(connectionId: string): Promise<string[]> {
    const channels: string[] = [];
    for await (const page of this.list(connectionChannelsPrefix(connectionId))) channels.push(...page);
    return channels;
  }

  /** @inheritdoc */
  async *members(
    channel: string,
    range: BucketRange = ALL_BUCKETS,
    writtenBy?: number,
  ): AsyncIterable<string[]> {
    for await (const keys of this.bucket.list({ ...channelMembersRange(channel, range), writtenBy })) {
      const ids: string[] = [];
      for (const key of keys) {
        const id = memberIdOfKey(channel, key);
        if (id !== undefined) ids.push(id);
      }
      yield ids;
    }
  }

  /** @inheritdoc */
  async removeConnections(connectionIds: readonly string[]): Promise<void> {
    const joined = await this.listChannelsOfAll(connectionIds);
    const members = joined.flatMap(({ connectionId, channels }) =>
      channels.map((channel) => memberKey(channel, connectionId)),
    );
    const reverse = joined.flatMap(({ connectionId, channels }) =>
      channels.map((channel) => reverseKey(connectionId, channel)),
    );
    // Every member key goes before any reverse key: if a member delete fails this throws, and the reverse keys
    // stay so that a retry (or the next 410) still finds the member. The member keys go again after the reverse
    // keys, as in unsubscribe, for a subscribe that was writing meanwhile.
    await this.bucket.deleteMany(members);
    await this.bucket.deleteMany(reverse);
    await this.bucket.deleteMany(members);
  }

  /** @inheritdoc */
  async removeMembers(channel: string, connectionIds: readonly string[]): Promise<void> {
    await this.bucket.deleteMany(connectionIds.map((connectionId) => memberKey(channel, connectionId)));
  }

  private async listChannelsOfAll(
    connectionIds: readonly string[],
  ): Promise<Array<{ connectionId: string; channels: string[] }>> {
    const results: Array<{ connectionId: string; channels: string[] }> = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < connectionIds.length) {
        const connectionId = connectionIds[next++] as string;
        results.push({ connectionId, channels: await this.channelsOf(connectionId) });
      }
    };
    await Promise.all(Array.from({ length: Math.min(LIST_CONCURRENCY, connectionIds.length) }, worker));
    return results;
  }

  /** Lists the decoded last segments of the keys under `prefix`, a page at a time. */
  private async *list(prefix: string): AsyncIterable<string[]> {
    for await (const keys of this.bucket.list({ prefix })) {
      const values: string[] = [];
      for (const key of keys) {
        // A console-made "folder" object or a key someone else wrote under the prefix is skipped.
        const value = decodeKeySegment(key.slice(prefix.length));
        if (value !== undefined) values.push(value);
      }
      yield values;
    }
  }
}
