/**
 * Canaries: each test passes while fauxqs (a bare `buildApp`, without this project's fixes) still has a gap that
 * util/local-stack/ works around, and fails once fauxqs closes it. When one fails, remove the work-around it names
 * (and this test); docs/upstream/fauxqs-empty-put.md, docs/upstream/fauxqs-sqs.md and
 * docs/upstream/fauxqs-conditional-writes.md have the report texts.
 */
import { buildApp } from "fauxqs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newS3Store } from "./fauxqs-store.js";

describe("fauxqs gaps that util/local-stack still works around", () => {
  let app: ReturnType<typeof buildApp>;
  beforeEach(async () => {
    app = buildApp({ logger: false, defaultRegion: "us-east-1" });
    await app.ready();
    await app.inject({ method: "PUT", url: "/canary-bucket", headers: { "content-length": "0" } });
  });
  afterEach(async () => {
    await app.close();
  });

  it("answers 500 to an empty PutObject without Content-Type (fix: emulator/fidelity/s3.ts, empty body)", async () => {
    // Act
    const put = await app.inject({
      method: "PUT",
      url: "/canary-bucket/k",
      headers: { "content-length": "0" },
    });

    // Assess
    expect(put.statusCode).toBe(500);
  });

  it("accepts DeleteObjects with 1,001 keys (fix: emulator/fidelity/s3.ts, MalformedXML)", async () => {
    // Prepare
    const objects = Array.from({ length: 1001 }, (_, i) => `<Object><Key>k${i}</Key></Object>`).join("");

    // Act
    const answer = await app.inject({
      method: "POST",
      url: "/canary-bucket?delete",
      headers: { "content-type": "application/xml" },
      payload: `<Delete>${objects}<Quiet>true</Quiet></Delete>`,
    });

    // Assess
    expect(answer.statusCode).toBe(200);
  });

  it("accepts a continuation token it never issued (fix: emulator/fidelity/s3.ts, token MAC)", async () => {
    // Act
    const answer = await app.inject({
      method: "GET",
      url: "/canary-bucket?list-type=2&continuation-token=bogus",
    });

    // Assess
    expect(answer.statusCode).toBe(200);
  });

  it("pages a listing of mixed-case keys out of order (fix: emulator/fidelity/list-order.ts)", async () => {
    // Prepare
    const keys = ["aB=", "Ab=", "a-b", "a_b", "A=", "a=", "B", "b"];
    for (const key of keys) {
      await app.inject({
        method: "PUT",
        url: `/canary-bucket/${key}`,
        headers: { "content-type": "text/plain" },
      });
    }

    // Act
    const listed: string[] = [];
    let token: string | undefined;
    do {
      const query = `list-type=2&max-keys=2${token ? `&continuation-token=${encodeURIComponent(token)}` : ""}`;
      const page = await app.inject({ method: "GET", url: `/canary-bucket?${query}` });
      listed.push(...[...page.body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1] ?? ""));
      token = /<NextContinuationToken>([^<]*)</.exec(page.body)?.[1];
    } while (token && listed.length < 100);

    // Assess
    expect(listed).not.toEqual([...keys].sort());
  });

  it("reads every object of the bucket to list one page (fix: emulator/fidelity/list-order.ts, the index)", async () => {
    // Prepare: a bare store with 2,000 keys, its bucket map counting every object it hands out
    const store = await newS3Store();
    store.createBucket("canary-bucket");
    for (let i = 0; i < 2000; i++)
      store.putObject("canary-bucket", `k/${String(i).padStart(4, "0")}`, Buffer.alloc(0));
    let handedOut = 0;
    const counted = new Map(store.buckets.get("canary-bucket"));
    const values = counted.values.bind(counted);
    counted.values = function* () {
      for (const value of values()) {
        handedOut += 1;
        yield value;
      }
    } as typeof counted.values;
    store.buckets.set("canary-bucket", counted);

    // Act: the last page of ten
    const page = store.listObjects("canary-bucket", { prefix: "k/", maxKeys: 10, startAfter: "k/1989" });

    // Assess
    expect(page.objects).toHaveLength(10);
    expect(handedOut).toBe(2000);
  });

  it("overwrites a key on PutObject with If-None-Match: * (fix: emulator/fidelity/conditional-writes.ts)", async () => {
    // Prepare
    const put = (body: string) =>
      app.inject({
        method: "PUT",
        url: "/canary-bucket/claimed",
        headers: { "content-type": "text/plain", "if-none-match": "*" },
        payload: body,
      });
    await put("first");

    // Act
    const second = await put("second");
    const read = await app.inject({ method: "GET", url: "/canary-bucket/claimed" });

    // Assess: S3 answers 412 PreconditionFailed and keeps "first"
    expect(second.statusCode).toBe(200);
    expect(read.body).toBe("second");
  });

  /** One SNS call (the query protocol, form-encoded) to the bare app. */
  const snsCall = (params: Record<string, string>) =>
    app.inject({
      method: "POST",
      url: "/",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: new URLSearchParams(params).toString(),
    });
  /** Creates the canary topic; resolves with its ARN. */
  const createTopic = async () =>
    /<TopicArn>([^<]+)</.exec((await snsCall({ Action: "CreateTopic", Name: "canary" })).body)?.[1] ?? "";

  it("ignores MessageStructure: a structure without default is accepted (fix: emulator/fidelity/sns.ts)", async () => {
    // Prepare
    const topicArn = await createTopic();

    // Act
    const published = await snsCall({
      Action: "Publish",
      TopicArn: topicArn,
      MessageStructure: "json",
      Message: '{"lambda":"no default"}',
    });

    // Assess
    expect(published.statusCode).toBe(200);
  });

  it("accepts Subscribe --protocol http, which it never delivers to (fix: emulator/fidelity/sns.ts)", async () => {
    // Prepare
    const topicArn = await createTopic();

    // Act
    const subscribed = await snsCall({
      Action: "Subscribe",
      TopicArn: topicArn,
      Protocol: "http",
      Endpoint: "http://127.0.0.1:9/",
    });

    // Assess
    expect(subscribed.statusCode).toBe(200);
  });

  it("answers 500 to an SQS JSON-protocol body that does not parse (fix: emulator/fidelity/sqs.ts, 400)", async () => {
    // Act
    const answer = await app.inject({
      method: "POST",
      url: "/",
      headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "AmazonSQS.ListQueues" },
      payload: "{not json",
    });

    // Assess
    expect(answer.statusCode).toBe(500);
  });

  it("answers SQS's query protocol as an unknown SNS action (fix: emulator/fidelity/sqs.ts, the translation)", async () => {
    // Act: what the AWS CLI 2.9 and boto3 1.26 send for `aws sqs list-queues`
    const answer = await app.inject({
      method: "POST",
      url: "/",
      headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
      payload: "Action=ListQueues&Version=2012-11-05",
    });

    // Assess
    expect(answer.statusCode).toBe(400);
    expect(answer.body).toContain("<Code>InvalidAction</Code>");
  });
});
