import { rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cliEnv, runCliToEnd, tempDir } from "./support/run.js";
import { writeTerraformOutputsFile } from "./support/terraform.js";

describe("util/tail-logs --local", () => {
  it("--since 5s prints the last seconds of both files, merged by time, not the whole history", async () => {
    // Prepare: the two files as the local stack writes them, with 18 minutes of history
    const home = tempDir();
    const now = Date.now();
    const lambda = join(home, "lambda.log");
    const access = join(home, "access.log");
    const powertools = (ms: number, message: string) =>
      JSON.stringify({ level: "INFO", message, timestamp: new Date(ms).toISOString() });
    const request = (ms: number, routeKey: string) =>
      JSON.stringify({ routeKey, status: "200", requestTime: String(ms) });
    writeFileSync(
      lambda,
      `${powertools(now - 1_080_000, "long ago")}\n${powertools(now - 1500, "connected")}\n`,
    );
    writeFileSync(
      access,
      `${request(now - 1_079_000, "$connect")}\n${request(now - 2500, "$connect")}\n${request(now - 500, "ping")}\n`,
    );
    const outputs = join(home, "outputs.json");
    writeFileSync(outputs, JSON.stringify({ lambda_log_file: lambda, access_log_file: access }));

    // Act
    const result = await runCliToEnd(
      "tail-logs",
      ["--local", "--outputs", outputs, "--since", "5s", "--raw"],
      cliEnv(home),
    );
    rmSync(home, { recursive: true, force: true });

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trimEnd().split("\n")).toEqual([
      `[api-gw] ${request(now - 2500, "$connect")}`,
      `[lambda] ${powertools(now - 1500, "connected")}`,
      `[api-gw] ${request(now - 500, "ping")}`,
    ]);
  });
});

describe("util/tail-logs against a stand-in CloudWatch Logs API (--endpoint-url)", () => {
  let home: string | undefined;
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("reads both log groups named by the outputs and prints their events labelled, with times, merged", async () => {
    // Prepare: FilterLogEvents speaks JSON 1.1 (POST /, X-Amz-Target Logs_20140328.FilterLogEvents)
    home = tempDir();
    const asked: { target: string; group: string }[] = [];
    const at = Date.now() - 60_000;
    server = createServer((request, response) => {
      let body = "";
      request.setEncoding("utf8").on("data", (chunk: string) => {
        body += chunk;
      });
      request.on("end", () => {
        const input = JSON.parse(body) as { logGroupName: string };
        asked.push({ target: String(request.headers["x-amz-target"]), group: input.logGroupName });
        const events =
          input.logGroupName === "/aws/lambda/fanout-default"
            ? [{ eventId: "1", timestamp: at + 2000, message: '{"level":"INFO","message":"connected"}\n' }]
            : [{ eventId: "2", timestamp: at, message: '{"routeKey":"$connect","status":"200"}' }];
        response.setHeader("content-type", "application/x-amz-json-1.1");
        response.end(JSON.stringify({ events }));
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const outputs = join(home, "outputs.json");
    writeTerraformOutputsFile(outputs, {
      lambda_log_group: "/aws/lambda/fanout-default",
      api_gw_log_group: "/aws/apigateway/fanout-default",
      input_sns_topic_arn: "arn:aws:sns:eu-west-1:123456789012:fanout-default-input",
    });
    const env = cliEnv(home, { AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" });

    // Act
    const result = await runCliToEnd(
      "tail-logs",
      ["--outputs", outputs, "--endpoint-url", endpoint, "--since", "5m"],
      env,
    );

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(asked).toEqual([
      { target: "Logs_20140328.FilterLogEvents", group: "/aws/lambda/fanout-default" },
      { target: "Logs_20140328.FilterLogEvents", group: "/aws/apigateway/fanout-default" },
    ]);
    expect(result.stdout).toBe(
      [
        `[api-gw] ${new Date(at).toISOString()} {`,
        '[api-gw]   "routeKey": "$connect",',
        '[api-gw]   "status": "200"',
        "[api-gw] }",
        `[lambda] ${new Date(at + 2000).toISOString()} {`,
        '[lambda]   "level": "INFO",',
        '[lambda]   "message": "connected"',
        "[lambda] }",
        "",
      ].join("\n"),
    );
  });
});
