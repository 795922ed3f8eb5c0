/** The machine a benchmark ran on, recorded with its figures (ratios travel between machines; times do not). */
import { readFileSync } from "node:fs";
import os from "node:os";

/** What results.json says about the machine. */
export interface Machine {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  node: string;
  platform: string;
  release: string;
  /** 1-minute load average when the benchmark started: other work on the machine skews the figures. */
  loadAverage1m: number;
  /** The soft limit on open files (each client and each server socket is one). */
  openFilesLimit: number | null;
}

/** The soft open-files limit of this process (Linux), or null where /proc is not there. */
export function openFilesLimit(): number | null {
  try {
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === "unlimited" ? null : Number(soft);
  } catch {
    return null;
  }
}

/** Describes this machine. */
export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryBytes: os.totalmem(),
    node: process.version,
    platform: os.platform(),
    release: os.release(),
    loadAverage1m: os.loadavg()[0] ?? 0,
    openFilesLimit: openFilesLimit(),
  };
}
