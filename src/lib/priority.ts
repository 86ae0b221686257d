/**
 * Lower this process's CPU priority (nice). On Linux nice is per thread, and
 * libuv and V8 start their threads before any of our code runs, so every
 * thread in /proc/self/task is lowered; elsewhere only the calling thread.
 * Lowering needs no privilege; a failure is reported, never fatal.
 */
import { readdirSync } from "node:fs";
import os from "node:os";

export function lowerPriority(nice: number): { ok: boolean; error?: string } {
  if (nice <= 0) return { ok: true };
  try {
    let tids: number[] = [0];
    try {
      tids = readdirSync("/proc/self/task").map(Number);
    } catch {
      // Not Linux: the calling thread only.
    }
    for (const tid of tids) os.setPriority(tid, Math.max(os.getPriority(tid), nice));
    return { ok: true };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}
