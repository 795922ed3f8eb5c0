import { ListObjectsV2Command, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3ConnectionStore } from "../../../src/stores/connections.js";
import { LOCAL_CREDENTIALS } from "../../../util/local-stack/emulator/emulator.js";
import { signedRequest, startTestEmulator, type TestEmulator, xmlText } from "./support.js";

/** A DeleteObjects body as the AWS CLI writes it. */
function deleteBody(keys: string[], quiet: boolean): string {
  const objects = keys.map((key) => `<Object><Key>${key}</Key></Object>`).join("");
  return `<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${objects}<Quiet>${quiet}</Quiet></Delete>`;
}

describe("the local S3 takes what S3 takes (requests that are not the JS SDK's)", () => {
  let emulator: TestEmulator;
  let path: (key?: string) => string;
  beforeAll(async () => {
    emulator = await startTestEmulator();
    path = (key) => (key === undefined ? `/${emulator.bucket}` : `/${emulator.bucket}/${key}`);
  });
  afterAll(async () => {
    await emulator?.stop();
  });

  it("stores an empty PutObject with Content-Length: 0 and no Content-Type, and heads it", async () => {
    // Prepare
    const key = "active-connections/Ek02Ofq8IAMCEyw=";

    // Act
    const put = await signedRequest(emulator.endpoint, "PUT", path(key));
    const head = await signedRequest(emulator.endpoint, "HEAD", path(key));

    // Assess
    expect(put.status).toBe(200);
    expect(put.headers.etag).toBe('"d41d8cd98f00b204e9800998ecf8427e"');
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe("0");
  });

  it("lists with max-keys page by page through continuation tokens, each key once", async () => {
    // Prepare
    const keys = ["list/aB=", "list/Ab=", "list/a-b", "list/a_b", "list/A="];
    for (const key of keys)
      expect((await signedRequest(emulator.endpoint, "PUT", path(key))).status).toBe(200);

    // Act
    const listed: string[] = [];
    let token: string | undefined;
    do {
      const page = await signedRequest(emulator.endpoint, "GET", path(), {
        query: {
          "list-type": "2",
          prefix: "list/",
          "max-keys": "2",
          ...(token ? { "continuation-token": token } : {}),
        },
      });
      expect(page.status).toBe(200);
      listed.push(...[...page.body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1] ?? ""));
      if (token !== undefined) expect(xmlText(page.body, "ContinuationToken")).toBe(token);
      token = xmlText(page.body, "NextContinuationToken");
    } while (token);

    // Assess
    expect(listed).toEqual([...keys].sort());
  });

  it("deletes one key (204), and many with delete-objects: Quiet lists no Deleted, not quiet lists each", async () => {
    // Prepare
    for (const key of ["del/1", "del/2", "del/3", "del/4"])
      await signedRequest(emulator.endpoint, "PUT", path(key));

    // Act
    const one = await signedRequest(emulator.endpoint, "DELETE", path("del/1"));
    const quiet = await signedRequest(emulator.endpoint, "POST", path(), {
      query: { delete: "" },
      body: deleteBody(["del/2", "del/3"], true),
    });
    const loud = await signedRequest(emulator.endpoint, "POST", path(), {
      query: { delete: "" },
      body: deleteBody(["del/4"], false),
    });
    const left = await signedRequest(emulator.endpoint, "GET", path(), {
      query: { "list-type": "2", prefix: "del/" },
    });

    // Assess
    expect(one.status).toBe(204);
    expect(quiet.status).toBe(200);
    expect(quiet.body).not.toContain("<Deleted>");
    expect(loud.body).toContain("<Deleted><Key>del/4</Key></Deleted>");
    expect(xmlText(left.body, "KeyCount")).toBe("0");
  });

  it("refuses delete-objects with 1,001 keys with 400 MalformedXML in S3's error shape, and takes 1,000", async () => {
    // Prepare
    const keys = Array.from({ length: 1001 }, (_, i) => `many/${i}`);

    // Act
    const over = await signedRequest(emulator.endpoint, "POST", path(), {
      query: { delete: "" },
      body: deleteBody(keys, true),
    });
    const limit = await signedRequest(emulator.endpoint, "POST", path(), {
      query: { delete: "" },
      body: deleteBody(keys.slice(0, 1000), true),
    });

    // Assess
    expect(over.status).toBe(400);
    expect(over.headers["content-type"]).toContain("application/xml");
    expect(over.body).toMatch(/<Error><Code>MalformedXML<\/Code><Message>[^<]+<\/Message>/);
    expect(limit.status).toBe(200);
  });

  it("refuses a continuation token it did not issue with 400 InvalidArgument (raw request and SDK)", async () => {
    // Prepare
    const s3 = new S3Client({
      endpoint: emulator.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: LOCAL_CREDENTIALS,
    });

    // Act
    const raw = await signedRequest(emulator.endpoint, "GET", path(), {
      query: { "list-type": "2", "continuation-token": "bogus" },
    });
    const sdk = await s3
      .send(new ListObjectsV2Command({ Bucket: emulator.bucket, ContinuationToken: "bGlzdC9hQj0=" }))
      .catch((error: unknown) => error);
    s3.destroy();

    // Assess
    expect(raw.status).toBe(400);
    expect(xmlText(raw.body, "Code")).toBe("InvalidArgument");
    expect(xmlText(raw.body, "ArgumentName")).toBe("continuation-token");
    expect(sdk).toBeInstanceOf(S3ServiceException);
    expect((sdk as S3ServiceException).name).toBe("InvalidArgument");
    expect((sdk as S3ServiceException).$metadata.httpStatusCode).toBe(400);
  });

  it("answers a method S3 does not serve in S3's XML error shape, not JSON", async () => {
    // Act
    const answer = await signedRequest(emulator.endpoint, "PATCH", path("x"));

    // Assess
    expect(answer.status).toBe(405);
    expect(answer.body).toMatch(/<Error><Code>MethodNotAllowed<\/Code><Message>[^<]+<\/Message>/);
  });

  it("proves the connection store's batching against the 1,000-key limit: removeMany of 1,001 ids", async () => {
    // Prepare
    const s3 = new S3Client({
      endpoint: emulator.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: LOCAL_CREDENTIALS,
    });
    const store = new S3ConnectionStore(s3, emulator.bucket, "batch");
    const ids = Array.from({ length: 1001 }, (_, i) => `id${String(i).padStart(4, "0")}=`);
    for (let i = 0; i < ids.length; i += 100)
      await Promise.all(ids.slice(i, i + 100).map((id) => store.add(id)));

    // Act
    await store.removeMany(ids);
    const left: string[] = [];
    for await (const page of store.pages()) left.push(...page);
    s3.destroy();

    // Assess
    expect(left).toEqual([]);
  });
});

describe("requests from web pages", () => {
  let emulator: TestEmulator;
  beforeAll(async () => {
    emulator = await startTestEmulator();
  });
  afterAll(async () => {
    await emulator?.stop();
  });

  it("refuses an S3 put and an SNS publish that carry a browser Origin with 403, and stores and delivers nothing", async () => {
    // Prepare
    const origin = { origin: "https://evil.example" };
    const publish = new URLSearchParams({
      Action: "Publish",
      TopicArn: emulator.topicArn,
      Message: "from a page",
    });

    // Act
    const put = await signedRequest(emulator.endpoint, "PUT", `/${emulator.bucket}/active-connections/x`, {
      headers: origin,
    });
    const sns = await fetch(emulator.endpoint, {
      method: "POST",
      headers: { ...origin, "content-type": "application/x-www-form-urlencoded" },
      body: publish.toString(),
    });
    const snsBody = await sns.text();
    const head = await signedRequest(emulator.endpoint, "HEAD", `/${emulator.bucket}/active-connections/x`);
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Assess
    expect(put.status).toBe(403);
    expect(xmlText(put.body, "Code")).toBe("AccessDenied");
    expect(xmlText(put.body, "Message")).toContain(
      "refuses requests from web pages (Origin: https://evil.example)",
    );
    expect(sns.status).toBe(403);
    expect(snsBody).toContain("<Code>AccessDenied</Code>");
    expect(head.status).toBe(404);
    expect(emulator.delivered).toEqual([]);
  });
});
