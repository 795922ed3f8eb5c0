/**
 * S3 in memory, behind the one method the stores call (`client.send`): objects by key, listings in S3's order
 * (UTF-8 binary) with Prefix, StartAfter and MaxKeys, and PutObject's `If-None-Match: *` answered as S3 answers it.
 * Each call yields to the event loop first, as a network call would, so that concurrent writers interleave.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";

/** An SDK error as the S3 client raises it: a name and the HTTP status in `$metadata`. */
export function s3Error(status: number, name: string): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

type Input = {
  Key?: string;
  Body?: Uint8Array | string;
  IfNoneMatch?: string;
  Prefix?: string;
  StartAfter?: string;
  MaxKeys?: number;
};

/** The objects of one bucket, and the calls made to it. */
export class S3Objects {
  readonly objects = new Map<string, Uint8Array>();
  /** Every call, in order, as [command name, key or prefix]. */
  readonly calls: Array<[string, string | undefined]> = [];
  /** Statuses the next conditional PutObject calls answer instead of writing (409, 500...). */
  readonly putAnswers: number[] = [];
  /** While set, every call fails with it. */
  failWith: Error | undefined;

  /** A client whose `send` is this bucket's. */
  client(): S3Client {
    return { send: (command: unknown) => this.send(command) } as unknown as S3Client;
  }

  /** The keys under a prefix, in S3's order. */
  keys(prefix = ""): string[] {
    return [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort(binaryOrder);
  }

  /** How many calls of one command were made. */
  count(command: string): number {
    return this.calls.filter(([name]) => name === command).length;
  }

  private async send(command: unknown): Promise<unknown> {
    await new Promise((resolve) => setImmediate(resolve));
    const input = (command as { input: Input }).input;
    const name = (command as object).constructor.name;
    this.calls.push([name, input.Key ?? input.Prefix]);
    if (this.failWith) throw this.failWith;
    if (command instanceof PutObjectCommand) return this.put(input);
    if (command instanceof GetObjectCommand) {
      const body = this.objects.get(input.Key ?? "");
      if (body === undefined) throw s3Error(404, "NoSuchKey");
      return { Body: { transformToByteArray: async () => body } };
    }
    if (command instanceof ListObjectsV2Command) {
      const after = input.StartAfter ?? "";
      const all = this.keys(input.Prefix).filter((key) => key > after);
      const page = all.slice(0, input.MaxKeys ?? 1000);
      return { Contents: page.map((Key) => ({ Key })), IsTruncated: all.length > page.length };
    }
    if (command instanceof DeleteObjectCommand) {
      this.objects.delete(input.Key ?? "");
      return {};
    }
    throw new Error(`S3Objects does not answer ${name}`);
  }

  private put(input: Input): unknown {
    const key = input.Key ?? "";
    if (input.IfNoneMatch === "*") {
      const forced = this.putAnswers.shift();
      if (forced === 409) throw s3Error(409, "ConditionalRequestConflict");
      if (forced !== undefined) throw s3Error(forced, "InternalError");
      if (this.objects.has(key)) throw s3Error(412, "PreconditionFailed");
    }
    const body = input.Body ?? "";
    this.objects.set(key, typeof body === "string" ? new TextEncoder().encode(body) : body);
    return {};
  }
}

/** S3's listing order: UTF-8 binary, the same as code units for the ASCII keys the stores write. */
function binaryOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
