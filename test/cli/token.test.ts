import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokenVerifier, hs256KeySource } from "../../src/auth/tokens.js";
import type { ProcessResult } from "../../util/lib/cli.js";
import { cliEnv, runCliToEnd, tempDir } from "./support/run.js";

const SECRET = "a-test-secret-that-is-long-enough-for-hs256!";
const WS_URL = "ws://127.0.0.1:4510/local";

let home: string;
let env: NodeJS.ProcessEnv;
let secretFile: string;
let localOutputs: string;
beforeAll(() => {
  home = tempDir("fanout-token-");
  env = cliEnv(home);
  secretFile = join(home, "token-secret");
  writeFileSync(secretFile, `${SECRET}\n`);
  localOutputs = join(home, "local-outputs.json");
  writeFileSync(localOutputs, JSON.stringify({ ws_url: WS_URL, token_secret_file: secretFile }));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

function token(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<ProcessResult> {
  return runCliToEnd("token", args, { ...env, ...extraEnv });
}

async function verified(jwt: string) {
  const verify = createTokenVerifier(await hs256KeySource(SECRET));
  return verify(jwt);
}

describe("util/token", () => {
  it("prints its help with exit 0", async () => {
    // Act
    const result = await token(["--help"]);
    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: util\/token --sub NAME/);
    expect(result.stdout).toContain("--subscribe PATTERN");
  });

  it.each([
    ["no --sub", ["--secret-file", "x"], /--sub NAME is required/],
    ["a malformed --ttl", ["--sub", "a", "--ttl", "soon"], /--ttl must be a duration such as 30s, 15m or 1h/],
    ["a --ttl over 24 h", ["--sub", "a", "--ttl", "25h"], /--ttl is at most 24h/],
    [
      "an invalid pattern",
      ["--sub", "a", "--publish", "news/**/x"],
      /--publish "news\/\*\*\/x" is not a channel pattern/,
    ],
    ["an unknown flag", ["--sub", "a", "--admin"], /Unknown option '--admin'/],
    ["--broadcast with a value", ["--sub", "a", "--broadcast=yes"], /--broadcast/],
  ])("exits 2 on %s, saying what to do", async (_name, args, message) => {
    // Act
    const result = await token(args);
    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain("Run 'util/token --help' for usage.");
    expect(result.stdout).toBe("");
  });

  it("mints a token the authorizer accepts, with the rights and lifetime asked for", async () => {
    // Act
    const result = await token([
      "--secret-file",
      secretFile,
      "--sub",
      "alice",
      "--broadcast",
      "--subscribe",
      "news/*",
      "--subscribe",
      "sport/live",
      "--publish",
      "news/**",
      "--ttl",
      "15m",
    ]);
    // Assess
    expect(result.code, result.stderr).toBe(0);
    const jwt = result.stdout.trim();
    expect(await verified(jwt)).toEqual({
      ok: true,
      value: {
        sub: "alice",
        exp: expect.any(Number),
        rights: { broadcast: true, subscribe: ["news/*", "sport/live"], publish: ["news/**"] },
      },
    });
    const claims = decodeJwt(jwt);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(15 * 60);
  });

  it("reads the secret from $FANOUT_TOKEN_SECRET and grants nothing unless asked", async () => {
    // Act
    const result = await token(["--sub", "bob"], { FANOUT_TOKEN_SECRET: SECRET });
    // Assess
    expect(result.code, result.stderr).toBe(0);
    const outcome = await verified(result.stdout.trim());
    expect(outcome.ok && outcome.value.rights).toEqual({
      broadcast: false,
      subscribe: [],
      publish: [],
    });
    expect((decodeJwt(result.stdout.trim()).exp ?? 0) - (decodeJwt(result.stdout.trim()).iat ?? 0)).toBe(
      3600,
    );
  });

  it("prints the local stack's URL with the token, reading the secret the local stack names", async () => {
    // Act
    const result = await token(["--local", "--sub", "carol", "--url"], {
      FANOUT_LOCAL_OUTPUTS: localOutputs,
    });
    // Assess
    expect(result.code, result.stderr).toBe(0);
    const url = new URL(result.stdout.trim());
    expect(`${url.protocol}//${url.host}${url.pathname}`).toBe(WS_URL);
    expect((await verified(url.searchParams.get("token") ?? "")).ok).toBe(true);
  });

  it("exits 1 in one line when the stack names no secret", async () => {
    // Prepare
    const outputs = join(home, "open-outputs.json");
    writeFileSync(outputs, JSON.stringify({ ws_url: WS_URL }));
    // Act
    const result = await token(["--outputs", outputs, "--sub", "dave"]);
    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/names no token secret .*FANOUT_TOKEN_SECRET or --secret-file FILE/);
  });

  it("exits 1 on a secret shorter than 32 bytes, without printing it", async () => {
    // Act
    const result = await token(["--sub", "erin"], { FANOUT_TOKEN_SECRET: "tiny-secret" });
    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/shorter than 32 bytes/);
    expect(result.stderr).not.toContain("tiny-secret");
  });

  it("exits 1 saying why when the secret in AWS cannot be read (no credentials here)", async () => {
    // Prepare
    const outputs = join(home, "aws-outputs.json");
    writeFileSync(
      outputs,
      JSON.stringify({
        ws_url: "wss://x/prod",
        token_secret_arn: "arn:aws:secretsmanager:eu-west-1:1:secret:s",
      }),
    );
    // Act
    const result = await token(["--outputs", outputs, "--sub", "frank"]);
    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^token: cannot read the token secret arn:aws:secretsmanager:eu-west-1:1:secret:s from Secrets Manager: /m,
    );
  });
});
