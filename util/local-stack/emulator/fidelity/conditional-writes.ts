/**
 * fauxqs (2.4.1, checked by a canary in test/local-stack/emulator/fauxqs-upstream.test.ts) ignores `If-None-Match`
 * on PutObject and overwrites the key, where S3 ("How to prevent object overwrites with conditional writes", S3 User
 * Guide; generally available since August 2024) refuses the write with 412 PreconditionFailed when the key exists,
 * and with 409 ConditionalRequestConflict while another write of the key is in flight. The channel history claims
 * each position with such a write (src/stores/history.ts), so without this two publishes could hold one position.
 *
 * The fix goes through fauxqs's public surface: `buildApp` takes its stores as an option (`BuildAppOptions.stores`),
 * so the emulator makes them and this hook asks the S3 store whether a key exists, in a `preHandler` hook, before
 * fauxqs's own handler writes it. A write whose condition passed holds a claim on its key until it is answered, so
 * that a second conditional write of the key in between gets S3's 409 rather than a second success. The report for
 * fauxqs is docs/upstream/fauxqs-conditional-writes.md.
 */
import type { buildApp } from "fauxqs";
import { type EmulatorApp, type EmulatorRequest, isQueryOrJsonApi, s3ErrorXml } from "../app.js";
import { loadFauxqsClass } from "./fauxqs-module.js";

/** The stores `buildApp` takes (`BuildAppOptions.stores`). */
export type FauxqsStores = NonNullable<NonNullable<Parameters<typeof buildApp>[0]>["stores"]>;

/** The one question this fix asks fauxqs's S3 store; `headObject` throws S3's NoSuchKey for a missing key. */
interface ObjectIndex {
  headObject(bucket: string, key: string): unknown;
}

/**
 * Makes the stores fauxqs would make for itself, so that the emulator can hand them to `buildApp` and keep the S3
 * one ({@link loadFauxqsClass}).
 */
export async function createFauxqsStores(): Promise<FauxqsStores> {
  type Stores = FauxqsStores;
  const SqsStore = await loadFauxqsClass<new () => Stores["sqsStore"]>("./sqs/sqsStore.js", "SqsStore");
  const SnsStore = await loadFauxqsClass<new () => Stores["snsStore"]>("./sns/snsStore.js", "SnsStore");
  const S3Store = await loadFauxqsClass<new () => Stores["s3Store"]>("./s3/s3Store.js", "S3Store");
  return { sqsStore: new SqsStore(), snsStore: new SnsStore(), s3Store: new S3Store() };
}

/** The part of a routed Fastify request this fix reads: fauxqs's object route is `/:bucket/*`. */
interface RoutedRequest extends EmulatorRequest {
  params?: { bucket?: string; "*"?: string };
}

/**
 * Installs conditional PutObject (`If-None-Match: *`) on a fauxqs app; call before the app listens.
 * @param app - the app `buildApp` returned
 * @param store - the S3 store the app was built with
 */
export function installConditionalWrites(app: EmulatorApp, store: ObjectIndex): void {
  /** Keys a conditional write is writing now, and the requests that hold them. */
  const claims = new Map<string, object>();
  const release = (request: object) => {
    for (const [name, holder] of claims) if (holder === request) claims.delete(name);
  };

  // Called back at once (no async hook): the check, the claim and fauxqs's synchronous write follow each other
  // without another request's hook in between.
  app.addHook("preHandler", (request, reply, done) => {
    const condition = request.headers["if-none-match"];
    const { bucket, "*": key } = (request as RoutedRequest).params ?? {};
    if (
      request.method !== "PUT" ||
      condition === undefined ||
      isQueryOrJsonApi(request) ||
      !bucket ||
      !key ||
      request.headers["x-amz-copy-source"] !== undefined
    ) {
      done();
      return;
    }
    const refuse = (status: number, code: string, message: string, extra?: Record<string, string>) => {
      reply
        .status(status)
        .header("content-type", "application/xml")
        .send(s3ErrorXml(code, message, extra));
    };
    if (condition !== "*") {
      // S3 takes only `*` on a write ("If-None-Match … Expects the '*' (asterisk) character").
      refuse(501, "NotImplemented", "A header you provided implies functionality that is not implemented", {
        Header: "If-None-Match",
      });
      return;
    }
    const name = `${bucket}/${key}`;
    if (claims.has(name)) {
      refuse(
        409,
        "ConditionalRequestConflict",
        "A conflicting conditional operation is currently in progress against this resource. Please try again.",
      );
      return;
    }
    if (exists(store, bucket, key)) {
      refuse(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", {
        Condition: "If-None-Match",
      });
      return;
    }
    claims.set(name, request);
    done();
  });
  app.addHook("onResponse", (request, _reply, done) => {
    release(request);
    done();
  });
  app.addHook("onRequestAbort", (request, done) => {
    release(request);
    done();
  });
}

function exists(store: ObjectIndex, bucket: string, key: string): boolean {
  try {
    store.headObject(bucket, key);
    return true;
  } catch {
    // NoSuchKey (or NoSuchBucket, which fauxqs's own handler then answers).
    return false;
  }
}
