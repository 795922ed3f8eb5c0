import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../util/lib/repo.js";
import { consoleUrl } from "../../util/local-stack/console/console.js";
import {
  readLog,
  s3Client,
  snsClient,
  startTestStack,
  storedConnectionIds,
  type TestStack,
} from "../support/stack.js";
import { WAIT_MS } from "../support/wait.js";
import { Client } from "../support/ws-client.js";
import { findChromium } from "./chromium.js";

/** The console's picture in the README. */
/**
 * The README's picture is refreshed only on request (`FANOUT_UPDATE_SCREENSHOT=1 npx vitest run test/browser`), so
 * that a test run leaves the working tree as it found it; otherwise the screenshot goes to a temporary folder.
 */
const SCREENSHOT = process.env.FANOUT_UPDATE_SCREENSHOT
  ? join(repoRoot, "docs", "console.png")
  : join(tmpdir(), `fanout-console-${process.pid}.png`);

/** A headless Chromium on a fresh profile, with nothing running in the background that would reach the network. */
async function launchBrowser(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: findChromium(),
    headless: true,
    viewport: { width: 1280, height: 720 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

describe("the web console in a real browser (headless Chromium)", () => {
  let stack: TestStack;
  let profile: string;
  let browser: BrowserContext;
  let page: Page;
  let sns: SNSClient;
  const others: Client[] = [];

  beforeAll(async () => {
    profile = await mkdtemp(join(tmpdir(), "fanout-chromium-"));
    stack = await startTestStack();
    sns = snsClient(stack);
    browser = await launchBrowser(profile);
    page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(WAIT_MS);
  });

  afterAll(async () => {
    for (const client of others) client.close();
    await browser?.close();
    sns?.destroy();
    await stack?.dispose();
    if (profile) await rm(profile, { recursive: true, force: true });
    if (!process.env.FANOUT_UPDATE_SCREENSHOT) await rm(SCREENSHOT, { force: true });
  });

  /** The text of a list (frames or log), for DOM assertions. */
  const listText = (id: string) => page.locator(`#${id}`).innerText();

  it("connects through the client library and shows the connection count", async () => {
    // Prepare
    await page.goto(consoleUrl(stack.outputs.ws_url));
    await page.locator("body[data-ready=true]").waitFor();

    // Act
    await page.locator("#connect").click();

    // Assess
    await expect.poll(() => page.locator("#state").innerText(), { timeout: WAIT_MS }).toBe("open");
    await expect.poll(() => page.locator("#connections").innerText(), { timeout: WAIT_MS }).toBe("1");
    expect(await page.locator("#ws-url").innerText()).toBe(stack.outputs.ws_url);
  });

  it("shows a broadcast from another client and the count going up and down with it", async () => {
    // Prepare
    const other = await Client.connect(stack.tokenUrl());
    others.push(other);
    await expect.poll(() => page.locator("#connections").innerText(), { timeout: WAIT_MS }).toBe("2");

    // Act
    other.send({ action: "broadcast", message: { from: "a ws client" } });

    // Assess
    await expect
      .poll(() => listText("frames"), { timeout: WAIT_MS })
      .toContain('{"message":{"from":"a ws client"}}');
    other.close();
    await expect.poll(() => page.locator("#connections").innerText(), { timeout: WAIT_MS }).toBe("1");
  });

  it("shows an SNS publish (no channel attribute: every connection gets the body)", async () => {
    // Act
    await sns.send(
      new PublishCommand({ TopicArn: stack.outputs.input_sns_topic_arn, Message: '{"from":"sns","n":7}' }),
    );

    // Assess
    await expect.poll(() => listText("frames"), { timeout: WAIT_MS }).toContain('{"from":"sns","n":7}');
  });

  it("broadcasts from the page, receives its own message, and shows the Lambda's log lines", async () => {
    // Prepare
    await page.locator("#message").fill('{"typed":"in the console"}');

    // Act
    await page.locator("#broadcast").click();

    // Assess: the frame came back through the service, and the fan-out is in the Lambda log beside it
    await expect
      .poll(() => listText("frames"), { timeout: WAIT_MS })
      .toContain('{"message":{"typed":"in the console"}}');
    await expect.poll(() => listText("log"), { timeout: WAIT_MS }).toMatch(/lambda +INFO +fan-out done/);
    await expect.poll(() => listText("log"), { timeout: WAIT_MS }).toContain("REPORT");
  });

  it("subscribes from the page and shows an SNS publish on the channel and a publish from the page (needs chan)", async () => {
    // Prepare
    await page.locator("#channel").fill("news/browser");
    await page.locator("#subscribe").click();
    await expect
      .poll(() => listText("frames"), { timeout: WAIT_MS })
      .toContain('{"action":"subscribed","channel":"news/browser","offset":0}');

    // Act: SNS with the channel attribute, then a publish typed in the page
    await sns.send(
      new PublishCommand({
        TopicArn: stack.outputs.input_sns_topic_arn,
        Message: '{"from":"sns on a channel"}',
        MessageAttributes: { channel: { DataType: "String", StringValue: "news/browser" } },
      }),
    );
    await page.locator("#publish-channel").fill("news/browser");
    await page.locator("#message").fill('{"from":"the page"}');
    await page.locator("#publish").click();

    // Assess
    await expect
      .poll(() => listText("frames"), { timeout: WAIT_MS })
      .toMatch(
        /\{"channel":"news\/browser","message":\{"from":"sns on a channel"\},"id":"[^"]+","offset":\d,"epoch":"\w+"\}/,
      );
    await expect
      .poll(() => listText("frames"), { timeout: WAIT_MS })
      .toMatch(
        /\{"channel":"news\/browser","message":\{"from":"the page"\},"id":"[^"]+","offset":\d,"epoch":"\w+"\}/,
      );
    // The channel's list entry shows the last position delivered.
    await expect
      .poll(() => page.locator("#channels").innerText(), { timeout: WAIT_MS })
      .toContain("news/browser @ 2");
  });

  it("recovers by itself: dropped by the server, it resubscribes from its position and gets what was published meanwhile", async () => {
    // Prepare: the page's connection is the only one (once the closed client's $disconnect has removed its key); a
    // publisher connects once it is dropped
    const s3 = s3Client(stack);
    let ids: string[] = [];
    const stored = async () => {
      ids = await storedConnectionIds(stack, s3);
      return ids.length;
    };
    await expect
      .poll(stored, { timeout: WAIT_MS })
      .toBe(1)
      .finally(() => s3.destroy());
    const [pageConnection] = ids;

    // Act: @connections DELETE, then two publishes at once, while the page is (most likely) still away
    const dropped = await fetch(
      `${stack.outputs.management_endpoint}/@connections/${encodeURIComponent(pageConnection ?? "")}`,
      {
        method: "DELETE",
      },
    );
    const publisher = await Client.connect(stack.tokenUrl());
    others.push(publisher);
    for (const n of [3, 4])
      publisher.send({ action: "publish", channel: "news/browser", message: { while: "away", n } });

    // Assess: both arrive whichever way (live or recovered), the resubscription says it recovered, and the list
    // shows the last position delivered
    expect(dropped.status).toBe(204);
    await expect
      .poll(() => page.locator("#channels").innerText(), { timeout: WAIT_MS })
      .toContain("news/browser @ 4");
    await expect
      .poll(() => listText("frames"), { timeout: WAIT_MS })
      .toContain("recovered news/browser: every message missed has been delivered, in order");
    // (The frames list is the wire, in the order frames arrived; the library delivered them in offset order.)
    const frames = await listText("frames");
    expect(frames).toContain('"n":3');
    expect(frames).toContain('"n":4');
    expect(frames).toMatch(
      /"action":"subscribed","channel":"news\/browser","offset":\d,"epoch":"\w+","recovered":true/,
    );
  });

  it("asks the library for a channel's history and shows what came back", async () => {
    // Act: the channel's history button (news/browser holds the four messages of the tests above)
    await page
      .locator("#channels li", { hasText: "news/browser" })
      .getByRole("button", { name: "history" })
      .click();

    // Assess
    await expect
      .poll(() => listText("frames"), { timeout: WAIT_MS })
      .toContain("history news/browser: 4 messages, offsets 1 to 4");
  });

  it("mints its connection's token itself, never shows it, and takes a screenshot for the README", async () => {
    // Assess: the stack requires tokens (the default), and the console minted one for its connection
    expect(await page.locator("#mint").isDisabled()).toBe(false);
    expect(await page.locator("#token-info").innerText()).toMatch(/^token for "[^"]+" until /);
    expect(await listText("frames")).toContain(" with a token");
    expect(await listText("frames")).not.toContain("eyJ");

    // Act
    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });

    // Assess
    expect(existsSync(SCREENSHOT)).toBe(true);
  });

  it("mints a token with the stack's secret and connects with it (the token is not shown)", async () => {
    // Prepare
    await page.locator("#disconnect").click();
    await page.reload();
    await page.locator("body[data-ready=true]").waitFor();

    // Act
    await page.locator("#sub").fill("browser-test");
    await page.locator("#mint").click();
    await expect
      .poll(() => page.locator("#token-info").innerText(), { timeout: WAIT_MS })
      .toMatch(/^token for/);
    await page.locator("#connect").click();

    // Assess
    expect(await page.locator("#token-info").innerText()).toMatch(
      /^token for "browser-test" until \d\d:\d\d:\d\d UTC \(used on the next connect\)$/,
    );
    await expect.poll(() => page.locator("#state").innerText(), { timeout: WAIT_MS }).toBe("open");
    expect(await listText("frames")).toContain(" with a token");
    expect(await listText("frames")).not.toContain("eyJ");
  });
  it("replays the Lambda log to a page opened later with each line's own time, and loads without a failed request", async () => {
    // Prepare: a page opened a moment after the lines were written, watching every response
    const failed: string[] = [];
    page.on("response", (response) => {
      if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
    });
    await new Promise((resolve) => setTimeout(resolve, 1100));

    // Act
    await page.reload();
    await page.locator("body[data-ready=true]").waitFor();
    await expect
      .poll(async () => (await listText("log")).split("\n").length, { timeout: WAIT_MS })
      .toBeGreaterThan(4);

    // Assess: the rows' clocks are the records' own (Powertools' timestamp, a REPORT's time), in order
    const records = await readLog(stack.outputs.lambda_log_file);
    const written = records.map((r) => String(r.timestamp ?? r.time).slice(11, 23));
    const shown = (await listText("log")).split("\n").map((line) => line.slice(0, 12));
    expect(shown).toEqual(written.slice(-shown.length));
    expect(failed).toEqual([]);
    const icon = await page.request.get(new URL("/favicon.ico", consoleUrl(stack.outputs.ws_url)).toString());
    expect([icon.status(), icon.headers()["content-type"]]).toEqual([200, "image/svg+xml"]);
  });

  it("at 800 px stacks the three columns and keeps the token's expiry on one line", async () => {
    // Prepare
    await page.setViewportSize({ width: 800, height: 900 });
    await page.locator("#mint").click();
    await expect.poll(() => page.locator("#token-info").innerText(), { timeout: WAIT_MS }).toMatch(/ UTC /);

    // Act
    const boxes = await page.locator("main > section").evaluateAll((sections) =>
      sections.map((section) => {
        const box = section.getBoundingClientRect();
        return { x: Math.round(box.x), width: Math.round(box.width) };
      }),
    );
    const expiryLines = await page.locator("#token-info").evaluate((element) => {
      const text = element.firstChild;
      if (text === null) return 0;
      const range = element.ownerDocument.createRange();
      const start = (text.textContent ?? "").indexOf(" until ") + 7;
      range.setStart(text, start);
      range.setEnd(text, start + "00:00:00 UTC".length);
      return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size;
    });
    await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, "-800.png"), fullPage: true });
    if (!process.env.FANOUT_UPDATE_SCREENSHOT)
      await rm(SCREENSHOT.replace(/\.png$/, "-800.png"), { force: true });

    // Assess: one column, each section the page's width
    expect(new Set(boxes.map((box) => box.x)).size).toBe(1);
    for (const box of boxes) expect(box.width).toBeGreaterThan(700);
    expect(expiryLines).toBe(1);
  });
});
