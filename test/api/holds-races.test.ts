/**
 * Exactly once under races: capture (with different amounts), release and
 * the reaper's expiry of ONE hold, all at once from many connections. The
 * calls are queued behind a lock on the hold's pending row (as the ledger's
 * race tests do), then let go together: exactly one wins, every HTTP loser
 * gets 409 invalid_state, the balance matches the winner, and the test
 * database's ledger check (run on close) stays clean.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../src/context";
import { reapHolds } from "../../src/jobs/tasks/hold-reaper";
import { behindLock, waitForLockWaiters } from "../helpers/barrier";
import { testKinds } from "../helpers/kinds";
import { type Platform, startPlatform } from "../helpers/platform";
import { expectError } from "./support";

let p: Platform;
beforeAll(async () => {
  p = await startPlatform({ kinds: testKinds(), worker: false, env: { RATE_LIMIT_PER_MINUTE: "0" } });
});
afterAll(async () => {
  await p?.close();
});

/** Lock the hold's pending row, start the calls one at a time (each queued behind the lock before the next starts), release. */
async function inOrder<T>(holdId: string, calls: (() => Promise<T>)[]): Promise<PromiseSettledResult<T>[]> {
  const blocker = p.db.ds.createQueryRunner();
  await blocker.connect();
  try {
    await blocker.startTransaction();
    await blocker.query(`SELECT 1 FROM ledger_pending WHERE transfer_id = $1 FOR UPDATE`, [holdId]);
    const started: Promise<T>[] = [];
    for (let i = 0; i < calls.length; i++) {
      started.push(calls[i]!());
      await waitForLockWaiters(p.db.ds, i + 1);
    }
    await blocker.commitTransaction();
    return await Promise.allSettled(started);
  } finally {
    if (blocker.isTransactionActive) await blocker.rollbackTransaction();
    await blocker.release();
  }
}

type Outcome = { who: string; status: number; body: { status?: string; error?: { code: string; details: unknown } } } | { who: string; reaped: number };

describe("capture vs release vs expiry of one hold", () => {
  it("exactly one wins, every other caller gets 409 invalid_state, the money matches the winner", async () => {
    const u = await p.user({ credits: 1000 });
    // The reapers read and write through the test database's own pool, like a separate scheduler process.
    const scheduler: AppContext = { ...p.ctx, ds: p.db.ds };
    const winners: string[] = [];
    let posted = 1000;
    // Rounds 0–7 queue the calls in a known order (rotated each round, so each kind of call is first at least
    // once and must win); the last rounds let them all go at once.
    const ROUNDS = 10;
    for (let round = 0; round < ROUNDS; round++) {
      const hold = await p.api(u.key, "POST", "/api/v1/holds", { credits: 10, ttl_seconds: 60 });
      expect(hold.status).toBe(201);
      const id: string = hold.body.id;
      const later = new Date(Date.now() + 120_000);
      const http = (who: string, path: string, body: unknown) => async (): Promise<Outcome> => {
        const r = await p.api(u.key, "POST", `/api/v1/holds/${id}/${path}`, body);
        return { who, status: r.status, body: r.body };
      };
      const calls: (() => Promise<Outcome>)[] = [
        http("capture:10", "capture", {}), http("capture:7", "capture", { credits: 7 }), http("capture:3", "capture", { credits: 3 }),
        http("release", "release", {}), http("release", "release", {}), http("release", "release", {}),
        async () => ({ who: "expire", reaped: (await reapHolds(scheduler, later)).orphans }),
        async () => ({ who: "expire", reaped: (await reapHolds(scheduler, later)).orphans }),
      ];
      const ordered = round < calls.length;
      const rotated = [...calls.slice(round % calls.length), ...calls.slice(0, round % calls.length)];
      const settled = ordered
        ? await inOrder(id, rotated)
        : await behindLock(p.db.ds, `SELECT 1 FROM ledger_pending WHERE transfer_id = $1 FOR UPDATE`, [id], rotated);
      const outcomes = settled.map((s) => {
        if (s.status === "rejected") throw s.reason;
        return s.value;
      });

      const won = outcomes.filter((o) => ("reaped" in o ? o.reaped === 1 : o.status === 200));
      expect(won, JSON.stringify(outcomes)).toHaveLength(1);
      for (const o of outcomes) {
        if ("reaped" in o) expect(o.reaped).toBeLessThanOrEqual(1);
        else if (o.status !== 200) expectError({ status: o.status, body: o.body, headers: new Headers() }, 409, "invalid_state");
      }
      const w = won[0]!;
      winners.push(w.who);
      // Queued in order: the first in the queue wins, whatever it is.
      if (ordered) expect(outcomes.indexOf(w)).toBe(0);
      const final = (await p.api(u.key, "GET", `/api/v1/holds/${id}`)).body;
      const captured = w.who.startsWith("capture:") ? Number(w.who.slice("capture:".length)) : 0;
      expect(final).toMatchObject({
        status: w.who === "expire" ? "expired" : w.who === "release" ? "released" : "captured",
        credits: { held: 10, captured, released: 10 - captured },
      });
      // Every HTTP loser saw the winner's state.
      for (const o of outcomes) if (!("reaped" in o) && o.status === 409) expect(o.body.error?.details).toEqual({ status: final.status });
      posted -= captured;
      const bal = (await p.api(u.key, "GET", "/api/v1/credits/balance")).body;
      expect(bal).toMatchObject({ posted, held: 0, available: posted });
      const [{ transfers }] = await p.ctx.ds.query(`SELECT count(*)::int AS transfers FROM ledger_transfers WHERE pending_id = $1`, [id]);
      expect(transfers).toBe(captured > 0 && captured < 10 ? 2 : 1);
    }
    expect(winners).toHaveLength(ROUNDS);
    expect(new Set(winners)).toEqual(new Set(["capture:10", "capture:7", "capture:3", "release", "expire"]));
  });

  it("many captures of the same amount at once: one charge, the rest 409", async () => {
    const u = await p.user({ credits: 100 });
    const id: string = (await p.api(u.key, "POST", "/api/v1/holds", { credits: 10 })).body.id;
    const calls = Array.from({ length: 8 }, () => () => p.api(u.key, "POST", `/api/v1/holds/${id}/capture`, { credits: 4 }));
    const settled = await behindLock(p.db.ds, `SELECT 1 FROM ledger_pending WHERE transfer_id = $1 FOR UPDATE`, [id], calls);
    const statuses = settled.map((s) => (s.status === "fulfilled" ? s.value.status : 0)).sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
    expect((await p.api(u.key, "GET", "/api/v1/credits/balance")).body).toMatchObject({ posted: 96, held: 0 });
  });
});
