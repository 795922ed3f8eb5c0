import { appendFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { UsageError } from "../../util/lib/cli.js";
import {
  formatLine,
  jsonOf,
  type LogLine,
  parseSince,
  tailCloudWatch,
  tailFiles,
  timestampOf,
} from "../../util/lib/logs.js";
import { cliEnv, runCliToEnd, tempDir } from "./support/run.js";
import { writeTerraformOutputsFile } from "./support/terraform.js";

const NOW = Date.parse("2026-11-23T15:00:00.000Z");

/** A Lambda log line as Powertools writes it (core-interface.md). */
const LAMBDA_LINE = JSON.stringify({
  level: "INFO",
  message: "connected",
  timestamp: "2026-11-23T14:59:58.000Z",
  service: "fanout",
  requestId: "req-1",
  connectionId: "abc=",
});

describe("parseSince", () => {
  it.each([
    ["30s", NOW - 30_000],
    ["10m", NOW - 600_000],
    ["1h", NOW - 3_600_000],
    ["2d", NOW - 172_800_000],
    ["1w", NOW - 604_800_000],
    ["2026-11-23T14:00:00Z", Date.parse("2026-11-23T14:00:00Z")],
    ["2026-11-23", Date.parse("2026-11-23")],
  ])("reads %s like aws logs tail", (text, expected) => {
    // Prepare / Act
    const since = parseSince(text, NOW);

    // Assess
    expect(since).toBe(expected);
  });

  it.each(["10", "10 minutes", "yesterday", "1y", "2026-13-45"])("refuses %j as a usage error", (text) => {
    // Prepare / Act
    const act = () => parseSince(text, NOW);

    // Assess
    expect(act).toThrow(UsageError);
  });
});

describe("reading log lines", () => {
  it("finds the JSON of a whole line and of a line the Lambda runtime prefixed", () => {
    // Prepare
    const prefixed = `2026-11-23T14:59:58.000Z\treq-1\tINFO\t${LAMBDA_LINE}`;

    // Act / Assess
    expect(jsonOf(LAMBDA_LINE)?.connectionId).toBe("abc=");
    expect(jsonOf(prefixed)?.connectionId).toBe("abc=");
    expect(jsonOf("START RequestId: req-1 Version: $LATEST")).toBeUndefined();
    expect(jsonOf("{broken")).toBeUndefined();
  });

  it("reads the time of Powertools lines and of access log lines", () => {
    // Prepare: the stage's access log writes $context.requestTimeEpoch as the string field requestTime (AWS and local)
    const access = JSON.stringify({ requestId: "r", requestTime: "1795000000000", status: "200" });
    const fromEvent = JSON.stringify({ requestId: "r", requestTimeEpoch: 1_795_000_000_001 });

    // Act / Assess
    expect(timestampOf(LAMBDA_LINE)).toBe(Date.parse("2026-11-23T14:59:58.000Z"));
    expect(timestampOf(access)).toBe(1_795_000_000_000);
    expect(timestampOf(fromEvent)).toBe(1_795_000_000_001);
    expect(timestampOf('{"requestTime":"-"}')).toBeUndefined();
    expect(timestampOf('{"no":"time"}')).toBeUndefined();
  });
});

describe("formatLine", () => {
  it("labels every line of pretty-printed JSON with its source", () => {
    // Prepare
    const line: LogLine = { source: "lambda", message: '{"level":"INFO","n":[1]}' };

    // Act
    const text = formatLine(line);

    // Assess
    expect(text.split("\n")).toEqual([
      "[lambda] {",
      '[lambda]   "level": "INFO",',
      '[lambda]   "n": [',
      "[lambda]     1",
      "[lambda]   ]",
      "[lambda] }",
    ]);
  });

  it("prints text as it is, with CloudWatch's time when asked, and JSON unchanged with raw", () => {
    // Prepare
    const text: LogLine = { source: "lambda", message: "START RequestId: r", timestamp: NOW };
    const json: LogLine = { source: "api-gw", message: '{"status":"200"}' };

    // Act / Assess
    expect(formatLine(text, {}, true)).toBe("[lambda] 2026-11-23T15:00:00.000Z START RequestId: r");
    expect(formatLine(json, { raw: true })).toBe('[api-gw] {"status":"200"}');
  });

  it("colours the label for a terminal", () => {
    // Prepare
    const line: LogLine = { source: "api-gw", message: "x" };

    // Act
    const text = formatLine(line, { color: true });

    // Assess
    expect(text).toBe("\u001b[35m[api-gw]\u001b[0m x");
  });
});

describe("tailCloudWatch", () => {
  const logs = mockClient(CloudWatchLogsClient);
  afterEach(() => logs.reset());

  const groups = [
    { source: "lambda" as const, name: "/aws/lambda/fanout" },
    { source: "api-gw" as const, name: "/aws/apigateway/fanout" },
  ];

  it("reads both groups page by page and merges their events by time", async () => {
    // Prepare
    logs
      .on(FilterLogEventsCommand, { logGroupName: "/aws/lambda/fanout", nextToken: undefined })
      .resolves({
        events: [{ eventId: "l1", timestamp: NOW - 3000, message: "lambda 1\n" }],
        nextToken: "p2",
      })
      .on(FilterLogEventsCommand, { logGroupName: "/aws/lambda/fanout", nextToken: "p2" })
      .resolves({ events: [{ eventId: "l2", timestamp: NOW - 1000, message: "lambda 2" }] })
      .on(FilterLogEventsCommand, { logGroupName: "/aws/apigateway/fanout" })
      .resolves({ events: [{ eventId: "a1", timestamp: NOW - 2000, message: '{"status":"200"}' }] });
    const client = new CloudWatchLogsClient({ region: "eu-west-1" });

    // Act
    const lines: LogLine[] = [];
    for await (const line of tailCloudWatch(client, groups, {
      since: NOW - 600_000,
      follow: false,
      intervalMs: 0,
    })) {
      lines.push(line);
    }

    // Assess
    expect(lines).toEqual([
      { source: "lambda", message: "lambda 1", timestamp: NOW - 3000 },
      { source: "api-gw", message: '{"status":"200"}', timestamp: NOW - 2000 },
      { source: "lambda", message: "lambda 2", timestamp: NOW - 1000 },
    ]);
    const starts = logs.commandCalls(FilterLogEventsCommand).map((call) => call.args[0].input.startTime);
    expect(starts).toEqual([NOW - 600_000, NOW - 600_000, NOW - 600_000]);
  });

  it("when following, looks back for late events and prints each event once", async () => {
    // Prepare: the second poll sees the first event again, plus a late one older than the newest seen
    let now = NOW;
    const stop = new AbortController();
    let polls = 0;
    logs.on(FilterLogEventsCommand, { logGroupName: "/aws/lambda/fanout" }).callsFake(() => {
      polls += 1;
      if (polls === 1) return { events: [{ eventId: "e1", timestamp: NOW - 1000, message: "first" }] };
      return {
        events: [
          { eventId: "e1", timestamp: NOW - 1000, message: "first" },
          { eventId: "late", timestamp: NOW - 1500, message: "late" },
        ],
      };
    });
    logs.on(FilterLogEventsCommand, { logGroupName: "/aws/apigateway/fanout" }).resolves({ events: [] });
    const client = new CloudWatchLogsClient({ region: "eu-west-1" });
    const sleep = async () => {
      now += 2000;
      if (polls >= 2) stop.abort();
    };

    // Act
    const lines: string[] = [];
    const tail = tailCloudWatch(client, groups, {
      since: NOW - 600_000,
      follow: true,
      intervalMs: 2000,
      signal: stop.signal,
      now: () => now,
      sleep,
    });
    for await (const line of tail) lines.push(line.message);

    // Assess
    expect(lines).toEqual(["first", "late"]);
    const starts = logs
      .commandCalls(FilterLogEventsCommand, { logGroupName: "/aws/lambda/fanout" })
      .map((call) => call.args[0].input.startTime);
    expect(starts).toEqual([NOW - 600_000, NOW - 30_000]);
  });
});

describe("tailFiles", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("prints what the files hold merged by time, skipping lines before --since", async () => {
    // Prepare
    const dir = tempDir();
    dirs.push(dir);
    const lambda = join(dir, "lambda.log");
    const access = join(dir, "access.log");
    const at = (iso: string, text: string) => JSON.stringify({ timestamp: iso, message: text });
    writeFileSync(
      lambda,
      `${at("2026-11-23T14:00:00Z", "old")}\n${at("2026-11-23T14:59:01Z", "one")}\nplain text after one\n${at("2026-11-23T14:59:03Z", "three")}\n`,
    );
    writeFileSync(
      access,
      `${JSON.stringify({ requestTime: String(Date.parse("2026-11-23T14:59:02Z")), n: "two" })}\n`,
    );
    const files = [
      { source: "lambda" as const, path: lambda },
      { source: "api-gw" as const, path: access },
    ];

    // Act
    const lines: LogLine[] = [];
    for await (const line of tailFiles(files, { since: NOW - 600_000, follow: false, intervalMs: 10 })) {
      lines.push(line);
    }

    // Assess
    expect(
      lines.map(
        (line) =>
          `${line.source} ${jsonOf(line.message)?.message ?? jsonOf(line.message)?.n ?? line.message}`,
      ),
    ).toEqual(["lambda one", "lambda plain text after one", "api-gw two", "lambda three"]);
  });

  it("skips the untimed lines of an old stretch with it, and merges the sources by their own times", async () => {
    // Prepare: 18 minutes of history, an untimed line after an old one, then the last seconds
    const dir = tempDir();
    dirs.push(dir);
    const lambda = join(dir, "lambda.log");
    const access = join(dir, "access.log");
    const at = (ms: number, text: string) =>
      JSON.stringify({ timestamp: new Date(ms).toISOString(), message: text });
    const request = (ms: number, route: string) =>
      JSON.stringify({ routeKey: route, requestTime: String(ms) });
    writeFileSync(
      lambda,
      `plain text before any time\n${at(NOW - 1_080_000, "old")}\nold stack trace\n${at(NOW - 2000, "new")}\n`,
    );
    writeFileSync(
      access,
      `${request(NOW - 1_070_000, "old-route")}\n${request(NOW - 3000, "$connect")}\n${request(NOW - 1000, "ping")}\n`,
    );
    const files = [
      { source: "lambda" as const, path: lambda },
      { source: "api-gw" as const, path: access },
    ];

    // Act
    const lines: string[] = [];
    for await (const line of tailFiles(files, { since: NOW - 5000, follow: false, intervalMs: 10 })) {
      lines.push(
        `${line.source} ${jsonOf(line.message)?.message ?? jsonOf(line.message)?.routeKey ?? line.message}`,
      );
    }

    // Assess
    expect(lines).toEqual(["api-gw $connect", "lambda new", "api-gw ping"]);
  });

  it("follows appended lines, waits for a missing file, keeps a partial line, and rereads a truncated file", async () => {
    // Prepare
    const dir = tempDir();
    dirs.push(dir);
    const lambda = join(dir, "lambda.log");
    const access = join(dir, "access.log");
    writeFileSync(lambda, "first\n");
    const stop = new AbortController();
    const lines: string[] = [];
    const tail = (async () => {
      const files = [
        { source: "lambda" as const, path: lambda },
        { source: "api-gw" as const, path: access },
      ];
      for await (const line of tailFiles(files, {
        since: 0,
        follow: true,
        intervalMs: 10,
        signal: stop.signal,
      })) {
        lines.push(`${line.source} ${line.message}`);
      }
    })();
    const until = async (count: number) => {
      const deadline = Date.now() + 10_000;
      while (lines.length < count) {
        if (Date.now() > deadline) throw new Error(`only ${lines.length} lines: ${lines.join(" | ")}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };

    // Act
    await until(1);
    appendFileSync(lambda, "sec");
    appendFileSync(access, "created later\n");
    await until(2);
    appendFileSync(lambda, "ond\n");
    await until(3);
    writeFileSync(lambda, "restart\n"); // truncated in place, shorter than what was read
    try {
      await until(4);
    } finally {
      stop.abort();
      await tail;
    }

    // Assess
    expect(lines).toEqual(["lambda first", "api-gw created later", "lambda second", "lambda restart"]);
  });
});

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
