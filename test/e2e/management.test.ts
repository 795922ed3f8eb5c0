import {
  DeleteConnectionCommand,
  GetConnectionCommand,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import { describe, expect, it } from "vitest";
import { MAX_MESSAGE_BYTES } from "../../src/contract/index.js";
import { connectWithId, managementClient, useStack } from "../support/stack.js";

describe("the @connections API through the real SDK client", () => {
  const suite = useStack({ managementRateLimit: 20 });

  it("posts to a connection (a text frame), describes it, and deletes it", async () => {
    // Prepare
    const { stack, s3, api } = suite;
    const { client, id } = await connectWithId(stack, s3);

    // Act
    await api.send(new PostToConnectionCommand({ ConnectionId: id, Data: Buffer.from('{"direct":true}') }));
    const received = await client.next((f) => JSON.stringify(f) === '{"direct":true}');
    const info = await api.send(new GetConnectionCommand({ ConnectionId: id }));
    await api.send(new DeleteConnectionCommand({ ConnectionId: id }));
    const closed = await client.closed;

    // Assess
    expect(received).toEqual({ direct: true });
    expect(client.raw[0]?.isBinary).toBe(false);
    expect(info.ConnectedAt).toBeInstanceOf(Date);
    expect(info.LastActiveAt).toBeInstanceOf(Date);
    expect(info.Identity?.SourceIp).toBe("127.0.0.1");
    expect(closed.code).toBe(1000);
  });

  it("answers GoneException (410) for a connection that does not exist", async () => {
    // Prepare
    const { api } = suite;
    const command = new PostToConnectionCommand({ ConnectionId: "NoSuchConnAAAA=", Data: Buffer.from("{}") });

    // Act
    const error = (await api.send(command).catch((e: unknown) => e)) as Error & {
      $metadata: { httpStatusCode: number };
    };

    // Assess
    expect(error.name).toBe("GoneException");
    expect(error.$metadata.httpStatusCode).toBe(410);
  });

  it("answers PayloadTooLargeException (413) for data over 128 KB", async () => {
    // Prepare
    const { stack, s3, api } = suite;
    const { client, id } = await connectWithId(stack, s3);
    const data = Buffer.alloc(MAX_MESSAGE_BYTES + 1, 0x61);

    // Act
    const error = (await api
      .send(new PostToConnectionCommand({ ConnectionId: id, Data: data }))
      .catch((e: unknown) => e)) as Error;

    // Assess
    expect(error.name).toBe("PayloadTooLargeException");
    expect(client.received).toEqual([]);
    client.close();
  });

  it("answers ForbiddenException (403) on another stage", async () => {
    // Prepare
    const { stack } = suite;
    const other = managementClient(stack.outputs.management_endpoint.replace(/\/local$/, "/prod"));

    // Act
    const error = (await other
      .send(new GetConnectionCommand({ ConnectionId: "AAAAAAAAAAAAAAA=" }))
      .catch((e: unknown) => e)) as Error;

    // Assess
    expect(error.name).toBe("ForbiddenException");
    other.destroy();
  });

  it("answers LimitExceededException (429) past the configured request rate", async () => {
    // Prepare
    const { api } = suite;
    const calls = Array.from({ length: 120 }, () =>
      api
        .send(new GetConnectionCommand({ ConnectionId: "NoSuchConnAAAA=" }))
        .catch((e: unknown) => e as Error),
    );

    // Act
    const names = new Set((await Promise.all(calls)).map((e) => (e as Error).name));

    // Assess
    expect(names).toContain("LimitExceededException");
    expect(names).toContain("GoneException");
  });
});
