/** Small job kinds for tests and the bench, registered in code as an operator would. */
import { z } from "zod";
import { SystemError, UserError } from "../../src/jobs/run-errors";
import { type JobKind, KindRegistry } from "../../src/jobs/kind";

/** Costs `cost` (default 3), uses `use` (default = cost), sleeps `ms`, fails on request. */
export const testKind: JobKind<{ cost?: number; use?: number; ms?: number; fail?: "user" | "system" | "system-once"; progress?: boolean }, { echoed: true }> = {
  name: "test",
  description: "A configurable test kind.",
  input: z.object({
    cost: z.number().int().positive().optional(),
    use: z.number().int().nonnegative().optional(),
    ms: z.number().int().nonnegative().max(60_000).optional(),
    fail: z.enum(["user", "system", "system-once"]).optional(),
    progress: z.boolean().optional(),
  }).strict(),
  estimate: (i) => ({ credits: i.cost ?? 3, breakdown: [{ item: "test run", credits: i.cost ?? 3 }] }),
  timeoutMs: () => 5_000,
  onUserFailure: "measured",
  async run(i, rc) {
    const steps = 5;
    for (let s = 1; s <= steps && (i.ms ?? 0) > 0; s++) {
      await new Promise((r) => setTimeout(r, (i.ms ?? 0) / steps));
      if (rc.signal.aborted) throw rc.signal.reason;
      if (i.progress) rc.progress((s / steps) * 100);
    }
    if (i.fail === "user") throw new UserError("bad input on purpose", { usage: 1 });
    if (i.fail === "system") throw new SystemError("dependency down on purpose");
    if (i.fail === "system-once" && rc.attempt === 1) throw new Error("flaky dependency");
    return { result: { echoed: true }, usage: i.use ?? i.cost ?? 3 };
  },
};

export function testKinds(): KindRegistry {
  return new KindRegistry().register(testKind);
}
