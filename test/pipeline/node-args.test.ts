/**
 * The node flags production processes run with (scripts/node-args.json) are
 * written in three places: the JSON (ecosystem.config.js and the benchmark
 * read it), and package.json's start:* scripts. They must agree, and this
 * Node must accept every flag (V8 flags come and go between versions).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";

const root = path.join(__dirname, "..", "..");
const { PROCESS_NODE_ARGS } = JSON.parse(readFileSync(path.join(root, "scripts", "node-args.json"), "utf8")) as { PROCESS_NODE_ARGS: string[] };

it("every start:* script runs node with exactly the flags in scripts/node-args.json", () => {
  const scripts = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
  const roles = ["start:api", "start:worker", "start:scheduler"];
  for (const name of roles) {
    const m = /\bnode((?:\s+--\S+)*)\s+dist\//.exec(scripts[name] ?? "");
    expect(m, name).not.toBeNull();
    expect(m![1]!.trim().split(/\s+/), name).toEqual(PROCESS_NODE_ARGS);
  }
});

it("this Node accepts every flag, and the heap limit takes effect", () => {
  const r = spawnSync(process.execPath, [...PROCESS_NODE_ARGS, "-p", "require('v8').getHeapStatistics().heap_size_limit"], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  const limitMb = Number(r.stdout.trim()) / 2 ** 20;
  const wanted = Number(/^--max-old-space-size=(\d+)$/.exec(PROCESS_NODE_ARGS.find((a) => a.startsWith("--max-old-space-size")) ?? "")?.[1]);
  // heap_size_limit is the old generation plus the young generation's reserve.
  expect(limitMb).toBeGreaterThanOrEqual(wanted);
  expect(limitMb).toBeLessThan(wanted + 100);
});
