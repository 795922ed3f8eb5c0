import { appendFileSync, rmSync, writeFileSync } from "node:fs";
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
import { tempDir } from "./support/run.js";

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
