/**
 * The local stack's state folder: one running stack per folder (a lock file holding its pid), and the bundle
 * written beside it atomically, so that a stack never loads a half-written bundle.
 */
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Another local stack, still running, uses the state folder. */
export class StateDirInUseError extends Error {
  override readonly name = "StateDirInUseError";
  constructor(
    readonly stateDir: string,
    readonly pid: number,
  ) {
    super(`the state folder ${stateDir} is in use by another local stack (pid ${pid})`);
  }
}

/** The held lock of a state folder. */
export interface StateLock {
  release(): Promise<void>;
}

const LOCK_FILE = "lock";

/**
 * Takes the state folder for this process, before anything in it is written: creates the lock file exclusively;
 * a lock left by a process that no longer runs (killed with SIGKILL, say) is stale and taken over.
 * @throws StateDirInUseError when a live process holds it (this process included: two stacks in one test).
 */
export async function lockStateDir(stateDir: string): Promise<StateLock> {
  await mkdir(stateDir, { recursive: true });
  const file = join(stateDir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(file, `${process.pid}\n`, { flag: "wx" });
      return { release: () => rm(file, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw error;
    }
    const holder = Number.parseInt(await readFile(file, "utf8").catch(() => ""), 10);
    if (Number.isInteger(holder) && holder > 0 && isRunning(holder))
      throw new StateDirInUseError(stateDir, holder);
    // Stale (or unreadable): removed, then taken with the same exclusive create, so two starters cannot both win.
    await rm(file, { force: true });
  }
}

/** Whether a process with this pid runs (EPERM: it does, as another user). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Builds into a fresh temporary folder with `build(dir)`, then swaps it in place of `dir` with a rename: a reader
 * sees the old folder or the new one, never a mix.
 */
export async function buildAtomically<T>(dir: string, build: (tmpDir: string) => Promise<T>): Promise<T> {
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  try {
    const result = await build(tmp);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    return result;
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
}
