import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { StateDirInUseError, startLocalStack } from "../../util/local-stack/index.js";
import { useStacks } from "../support/stack.js";

describe("faults: two stacks on one state folder", () => {
  const stacks = useStacks();

  it("refuses a second start on a state folder in use before writing anything, and frees it on stop", async () => {
    // Prepare
    const first = await stacks.start();
    const bundle = join(first.stateDir, "build", "lambda", "index.mjs");
    const before = {
      outputs: await readFile(join(first.stateDir, "outputs.json"), "utf8"),
      mtime: (await stat(bundle)).mtimeMs,
    };

    // Act
    const second = await startLocalStack({
      stateDir: first.stateDir,
      gatewayPort: 0,
      emulatorPort: 0,
      log: false,
    }).then(
      // Started after all: stopped with the others, and the assertion below fails.
      (stack) => stacks.track({ close: () => stack.stop() }),
      (error: unknown) => error,
    );

    // Assess
    expect(second).toBeInstanceOf(StateDirInUseError);
    expect((second as Error).message).toBe(
      `the state folder ${first.stateDir} is in use by another local stack (pid ${process.pid})`,
    );
    expect(await readFile(join(first.stateDir, "outputs.json"), "utf8")).toBe(before.outputs);
    expect((await stat(bundle)).mtimeMs).toBe(before.mtime);
    expect(await readFile(join(first.stateDir, "lock"), "utf8")).toBe(`${process.pid}\n`);
    await first.stop();
    await expect(stat(join(first.stateDir, "lock"))).rejects.toThrow(/ENOENT/);
  });
});
