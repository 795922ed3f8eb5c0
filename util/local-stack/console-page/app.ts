/**
 * The console page's script: the client library (client/) driven by a few forms. No framework: the page is a handful
 * of forms and two append-only lists, which the DOM does in a few lines.
 */
import { createClient, type FanoutClient, FanoutError } from "@fanout/client";

/** Rows kept in each list; older rows are removed so that a long session does not grow the page without end. */
const MAX_ROWS = 500;

interface Status {
  wsUrl: string;
  connections: number;
  tokens: boolean;
}

const $ = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`console page: no #${id}`);
  return element as T;
};

let client: FanoutClient | undefined;
let token: string | undefined;
let status: Status | undefined;
/** The last position the library delivered per channel (on channels that keep history), shown in the list. */
const positions = new Map<string, string>();

function clock(): string {
  return new Date().toISOString().slice(11, 23);
}

function row(list: string, kind: string, text: string, stamp = true): void {
  const ol = $(list);
  const li = document.createElement("li");
  li.className = kind;
  const time = document.createElement("span");
  time.className = "t";
  time.textContent = clock();
  li.append(...(stamp ? [time, text] : [text]));
  // Stay at the bottom when the reader is there; leave the scroll alone when they scrolled up to read.
  const section = ol.parentElement as HTMLElement;
  const atBottom = section.scrollHeight - section.scrollTop - section.clientHeight < 40;
  ol.append(li);
  while (ol.children.length > MAX_ROWS) ol.firstElementChild?.remove();
  if (atBottom) section.scrollTop = section.scrollHeight;
}

const frame = (kind: string, text: string) => row("frames", kind, text);

/** A message as typed: the JSON value it spells when it parses (`{"a":1}`, `42`), else the text (as util/connect). */
function parseMessage(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function describeError(error: unknown): string {
  return error instanceof FanoutError ? `${error.code}: ${error.message}` : String(error);
}

/** A button of a channel's entry in the list. */
function button(text: string, title: string, onClick: () => void): HTMLButtonElement {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = text;
  element.title = title;
  element.addEventListener("click", onClick);
  return element;
}

/** Asks the library for a channel's newest messages and says what came back (the answer's frame shows as well). */
function showHistory(channel: string): void {
  frame("out", `history ${channel}`);
  client?.history(channel).then(
    (messages) => {
      const range = messages.length ? `, offsets ${messages[0]?.offset} to ${messages.at(-1)?.offset}` : "";
      frame("state", `history ${channel}: ${messages.length} messages${range}`);
    },
    (e: unknown) => frame("err", describeError(e)),
  );
}

function renderChannels(): void {
  const ul = $("channels");
  ul.replaceChildren(
    ...[...(client?.channels ?? [])].map((channel) => {
      const li = document.createElement("li");
      const history = button("history", "the newest 10 messages of the channel", () => showHistory(channel));
      const leave = button("unsubscribe", "leave the channel", () => {
        frame("out", `unsubscribe ${channel}`);
        client?.unsubscribe(channel).then(renderChannels, (e: unknown) => frame("err", describeError(e)));
        renderChannels();
      });
      const at = document.createElement("span");
      at.className = "at";
      at.textContent = positions.get(channel) ?? "";
      li.append(channel, at, history, leave);
      return li;
    }),
  );
}

function setConnected(on: boolean): void {
  $<HTMLButtonElement>("connect").disabled = on;
  $<HTMLButtonElement>("disconnect").disabled = !on;
  $<HTMLButtonElement>("reconnect").disabled = !on;
}

function connect(): void {
  if (!status) return;
  const url = status.wsUrl;
  client = createClient({
    url,
    // A stack that requires tokens gets a fresh one, minted for the name in the form, before every attempt (a
    // reconnect an hour later must not reuse an expired one).
    token: status.tokens
      ? async () => {
          await mint();
          return token ?? "";
        }
      : undefined,
  });
  client.on("state", (state) => {
    const pill = $("state");
    pill.textContent = state;
    pill.dataset.state = state;
    frame("state", `state ${state}`);
  });
  client.on("frame", (value) => frame("in", typeof value === "string" ? value : JSON.stringify(value)));
  client.on("error", (error) => frame("err", `error ${describeError(error)}`));
  // The library resubscribes from the last position it delivered after every drop and renewal, and fills gaps.
  client.on("message", ({ channel, offset }) => {
    if (offset === undefined) return;
    positions.set(channel, ` @ ${offset}`);
    renderChannels();
  });
  client.on("recovery", ({ channel, complete }) =>
    complete
      ? frame("state", `recovered ${channel}: every message missed has been delivered, in order`)
      : frame("err", `recovery incomplete on ${channel}: some messages are lost (reload what they built)`),
  );
  frame("state", `connecting to ${url}${status.tokens ? " with a token" : ""}`);
  setConnected(true);
  renderChannels();
}

function disconnect(): void {
  client?.close();
  client = undefined;
  positions.clear();
  setConnected(false);
  renderChannels();
}

async function mint(): Promise<void> {
  const response = await fetch("/console/token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sub: $<HTMLInputElement>("sub").value }),
  });
  const body = (await response.json()) as { token?: string; expiresAt?: string; error?: string };
  if (!response.ok || body.token === undefined) {
    $("token-info").textContent = body.error ?? `HTTP ${response.status}`;
    return;
  }
  token = body.token;
  // The token itself is not shown: a screenshot or a shared screen would leak it. The expiry as a time of day: a full
  // ISO date broke across lines at its hyphens in the narrow column.
  const until = body.expiresAt === undefined ? "?" : `${body.expiresAt.slice(11, 19)} UTC`;
  $("token-info").textContent =
    `token for "${$<HTMLInputElement>("sub").value}" until ${until} (used on the next connect)`;
}

function send(kind: "publish" | "broadcast"): void {
  if (!client) {
    frame("err", "connect first");
    return;
  }
  const message = parseMessage($<HTMLTextAreaElement>("message").value);
  if (kind === "broadcast") {
    frame("out", `broadcast ${JSON.stringify(message)}`);
    client.broadcast(message).catch((e: unknown) => frame("err", describeError(e)));
    return;
  }
  const channel = $<HTMLInputElement>("publish-channel").value.trim();
  frame("out", `publish ${channel} ${JSON.stringify(message)}`);
  client.publish(channel, message).catch((e: unknown) => frame("err", describeError(e)));
}

function follow(): void {
  const events = new EventSource("/console/events");
  events.addEventListener("connections", (e) => {
    $("connections").textContent = String(JSON.parse((e as MessageEvent<string>).data));
  });
  events.addEventListener("log", (e) => {
    const { level, text } = JSON.parse((e as MessageEvent<string>).data) as { level: string; text: string };
    row("log", level, text, false);
  });
}

async function start(): Promise<void> {
  status = (await (await fetch("/console/status")).json()) as Status;
  $("ws-url").textContent = status.wsUrl;
  $("connections").textContent = String(status.connections);
  if (!status.tokens) {
    $<HTMLButtonElement>("mint").disabled = true;
    $("token-info").textContent = "open stack: no token needed";
  }
  follow();
  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    mint().catch((error: unknown) => ($("token-info").textContent = String(error)));
  });
  $("connect-form").addEventListener("submit", (e) => {
    e.preventDefault();
    connect();
  });
  $("disconnect").addEventListener("click", disconnect);
  $("reconnect").addEventListener("click", () => {
    frame("out", "reconnect (a second connection, then the first closes)");
    client?.reconnect();
  });
  $("subscribe-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const channel = $<HTMLInputElement>("channel").value.trim();
    if (!client || channel === "") return;
    frame("out", `subscribe ${channel}`);
    client.subscribe(channel).then(
      () => frame("state", `subscribed ${channel}`),
      (error: unknown) => {
        frame("err", `subscribe ${channel}: ${describeError(error)}`);
        renderChannels();
      },
    );
    renderChannels();
  });
  $("publish").addEventListener("click", () => send("publish"));
  $("broadcast").addEventListener("click", () => send("broadcast"));
  document.body.dataset.ready = "true";
}

start().catch((error: unknown) => frame("err", `console: ${String(error)}`));
