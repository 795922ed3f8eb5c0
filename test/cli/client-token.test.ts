import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createTokenVerifier, hs256KeySource } from "../../src/auth/tokens.js";
import { ALL_RIGHTS, NO_RIGHTS } from "../../src/contract/index.js";
import { CliError } from "../../util/lib/cli.js";
import { Stack } from "../../util/lib/stack.js";
import { redactToken, resolveClientToken } from "../../util/lib/token.js";
import { tempDir } from "./support/run.js";

const SECRET = "a-test-secret-that-is-long-enough-for-hs256!";
const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:fanout-prod-token-AbCdEf";
const WS_URL = "wss://abc123.execute-api.eu-west-1.amazonaws.com/prod";

let dir: string;
beforeAll(() => {
  dir = tempDir("fanout-client-token-");
  writeFileSync(join(dir, "token-secret"), `${SECRET}\n`, { mode: 0o600 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.unstubAllEnvs());

/** A stack whose outputs are a flat file, as `--outputs FILE` reads it. */
function stackWith(outputs: Record<string, string>): Stack {
  const file = join(dir, `outputs-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ ws_url: WS_URL, ...outputs }));
  return new Stack({ outputs: file });
}

async function verify(token: string | undefined) {
  return createTokenVerifier(await hs256KeySource(SECRET))(token);
}

describe("resolveClientToken (the CLIs' automatic tokens)", () => {
  it("mints a short-lived token with the rights asked for from the local stack's secret file", async () => {
    // Prepare
    vi.stubEnv("FANOUT_TOKEN_SECRET", "");
    const stack = stackWith({ auth_mode: "token", token_secret_file: join(dir, "token-secret") });

    // Act
    const token = await resolveClientToken(stack, { rights: { ...NO_RIGHTS, broadcast: true }, sub: "me" });

    // Assess
    const result = await verify(token);
    expect(result).toMatchObject({ ok: true, value: { sub: "me", rights: { broadcast: true } } });
    if (!result.ok) throw new Error("not verified");
    expect(result.value.exp - Date.now() / 1000).toBeLessThanOrEqual(15 * 60);
  });

  it("reads the secret from Secrets Manager on AWS (token_secret_arn)", async () => {
    // Prepare
    vi.stubEnv("FANOUT_TOKEN_SECRET", "");
    const stack = stackWith({ auth_mode: "token", token_secret_arn: SECRET_ARN });
    const asked: string[] = [];
    const reader = async (arn: string) => {
      asked.push(arn);
      return SECRET;
    };

    // Act
    const token = await resolveClientToken(stack, { rights: ALL_RIGHTS, reader });

    // Assess
    expect(asked).toEqual([SECRET_ARN]);
    expect((await verify(token)).ok).toBe(true);
  });

  it("uses a given token as is, and needs none for an open stack or one deployed before tokens", async () => {
    // Prepare
    const tokenStack = stackWith({ auth_mode: "token", token_secret_file: join(dir, "token-secret") });
    const openStack = stackWith({ auth_mode: "open" });
    const oldStack = stackWith({});

    // Act
    const given = await resolveClientToken(tokenStack, { token: "given.jwt.value", rights: ALL_RIGHTS });
    const open = await resolveClientToken(openStack, { rights: ALL_RIGHTS });
    const old = await resolveClientToken(oldStack, { rights: ALL_RIGHTS });

    // Assess
    expect(given).toBe("given.jwt.value");
    expect(open).toBeUndefined();
    expect(old).toBeUndefined();
  });

  it("says to pass --token when a token stack names no secret (an external issuer)", async () => {
    // Prepare
    vi.stubEnv("FANOUT_TOKEN_SECRET", "");
    const stack = stackWith({ auth_mode: "token", token_secret_arn: "" });

    // Act
    const failure = await resolveClientToken(stack, { rights: ALL_RIGHTS }).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(CliError);
    expect((failure as Error).message).toMatch(/pass --token TOKEN/);
  });

  it("keeps tokens out of what a CLI prints", () => {
    // Act
    const shown = redactToken(`${WS_URL}?token=aaa.bbb.ccc&x=1`);

    // Assess
    expect(shown).toBe(`${WS_URL}?token=…&x=1`);
  });
});
