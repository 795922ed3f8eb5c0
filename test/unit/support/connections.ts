/**
 * A fake @connections API at the lean sender's exchange seam (`src/aws/connections.ts`): every PostToConnection the
 * real sender signs is recorded and answered as a test says, so the sender's own code (paths, signing, error names)
 * runs in the handler's tests without a network.
 */
import type { Answer, Exchange, OutgoingRequest } from "../../../src/aws/connections.js";

/** What one post is answered: a status with API Gateway's error type, or an error the socket raises. */
export type FakeAnswer = { status: number; errorType?: string; message?: string } | Error;

/** API Gateway's answers by name. */
export const ANSWERS = {
  gone: { status: 410, errorType: "GoneException", message: "Gone" },
  /** A 410 without `x-amzn-ErrorType`: the SDK names it `Unknown`, and so does the sender. */
  bare410: { status: 410 },
  throttled: { status: 429, errorType: "LimitExceededException", message: "Rate exceeded" },
  forbidden: { status: 403, errorType: "ForbiddenException", message: "Forbidden" },
} as const satisfies Record<string, FakeAnswer>;

/** One recorded post. */
interface RecordedPost {
  connectionId: string;
  text: string;
  request: OutgoingRequest;
}

/** The fake: records posts, answers 200 unless told otherwise. */
class FakeConnections {
  readonly posts: RecordedPost[] = [];
  private readonly byId = new Map<string, FakeAnswer[]>();
  private readonly all: FakeAnswer[] = [];
  private hook: (() => void) | undefined;

  /** The exchange to give `createDependencies`. */
  readonly exchange: Exchange = async (request, body) => {
    const connectionId = decodeURIComponent(request.path.slice(request.path.lastIndexOf("/") + 1));
    this.posts.push({ connectionId, text: Buffer.from(body).toString("utf8"), request });
    this.hook?.();
    const next = this.byId.get(connectionId)?.shift() ?? this.all.shift();
    if (next instanceof Error) throw next;
    if (next === undefined) return { status: 200, errorType: undefined, body: "" } satisfies Answer;
    return {
      status: next.status,
      errorType: next.errorType,
      body: next.message === undefined ? "" : JSON.stringify({ message: next.message }),
    } satisfies Answer;
  };

  /**
   * Answers the next posts to one connection so, in order; later ones succeed.
   * @param connectionId - the recipient
   * @param answers - one per post
   */
  answer(connectionId: string, ...answers: FakeAnswer[]): void {
    this.byId.set(connectionId, [...(this.byId.get(connectionId) ?? []), ...answers]);
  }

  /**
   * Answers the next posts to anyone so, in order (after any one connection's own answers); later ones succeed.
   * @param answers - one per post
   */
  answerNext(...answers: FakeAnswer[]): void {
    this.all.push(...answers);
  }

  /**
   * Runs `hook` inside every post, synchronously, as the exchange is called (a test records the call stack there).
   * @param hook - what to run
   */
  onPost(hook: () => void): void {
    this.hook = hook;
  }

  /** Forgets every post, answer and hook. */
  reset(): void {
    this.posts.length = 0;
    this.byId.clear();
    this.all.length = 0;
    this.hook = undefined;
  }
}

/** The fake the handler's tests share: `mockAws()` resets it around each test, `setupHandler` wires it. */
export const fakeConnections = new FakeConnections();
