/**
 * The ReversalsByCreditType migration on a database the previous code wrote:
 * a refund's reclaimed credits become its credit type's record, and a
 * chargeback frozen in one transfer (`derivedId(dispute, "freeze")`) becomes
 * per-lot rows, so closing it afterwards gives exactly those credits back.
 * Its own database: the migration is run down and up again here.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ReversalsByCreditType1765000001700 } from "../../src/entities/migrations/1765000001700-ReversalsByCreditType";
import { derivedId } from "../../src/lib/ids";
import * as ledger from "../../src/ledger";
import { type BillingBed, billingCalls, emailOf, startBillingBed, waitForMail } from "./harness";

let bed: BillingBed;
beforeAll(async () => {
  bed = await startBillingBed();
});
afterEach(async () => {
  const report = await bed.p.ctx.ds.transaction("REPEATABLE READ", (m) => ledger.checkLedger(m));
  expect(report.problems).toEqual([]);
});
afterAll(async () => {
  await bed?.close();
});

const { spend, balance } = billingCalls(() => bed);

async function buy(key: string, credits: number): Promise<{ sessionId: string; checkoutId: string }> {
  const r = await bed.p.api(key, "POST", "/api/v1/credits/purchase", { credits });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  await bed.send(...bed.stripe.completeCheckout(r.body.session_id));
  return { sessionId: r.body.session_id as string, checkoutId: r.body.id as string };
}

describe("ReversalsByCreditType on rows the previous code wrote", () => {
  it("backfills reclaimed credits per type and frozen lots, and a later won chargeback gives exactly the frozen credits back", async () => {
    // A refund applied by today's code, whose per-type record is then dropped below with the table.
    const refunded = await bed.p.user();
    const r = await buy(refunded.key, 100);
    await bed.send(bed.stripe.refund(r.sessionId, 500));
    expect((await balance(refunded.key)).posted).toBe(50);

    // A chargeback frozen the way the previous code did it: one transfer over the purchase's lots, totals on the chargeback row.
    const u = await bed.p.user();
    const b = await buy(u.key, 100);
    await spend(u.key, 10);
    const { dispute } = bed.stripe.openDispute(b.sessionId);
    await bed.p.ctx.ds.transaction(async (m) => {
      await m.query(
        `INSERT INTO purchase_reversals (checkout_id, user_id, stripe_charge_id) VALUES ($1, $2, $3)`, [b.checkoutId, u.id, dispute.charge]);
      await m.query(`INSERT INTO stripe_chargebacks (id, checkout_id, user_id, status, amount_cents) VALUES ($1, $2, $3, 'open', $4)`,
        [dispute.id, b.checkoutId, u.id, dispute.amount]);
      const [c] = await m.query(`SELECT grant_transfer_id FROM checkouts WHERE id = $1`, [b.checkoutId]);
      const lot = await ledger.lotOfGrant(m, c.grant_transfer_id);
      const frozen = await ledger.takeLots(m, {
        id: derivedId(dispute.id, "freeze"), accountId: await ledger.userAccountId(m, u.id), lotIds: [lot!], max: 100, type: "adjustment",
        description: "Frozen (previous code)", metadata: { stripe_dispute_id: dispute.id, checkout_id: b.checkoutId, frozen: true },
      });
      expect(frozen.taken).toBe(90);
      await m.query(`UPDATE users SET credit_status = 'paused', pause_reason = $2 WHERE id = $1`, [u.id, `chargeback:${dispute.id}`]);
      await m.query(`UPDATE stripe_chargebacks SET frozen_at = now(), frozen_credits = 90, paused_account = true WHERE id = $1`, [dispute.id]);
    });

    bed.p.ctx.authCache.clear();
    const qr = bed.p.ctx.ds.createQueryRunner();
    await qr.connect();
    try {
      const migration = new ReversalsByCreditType1765000001700();
      await migration.down(qr);
      await migration.up(qr);
    } finally {
      await qr.release();
    }
    expect(await bed.q(`SELECT t.credit_type, t.reclaimed_credits::text FROM purchase_reversal_types t JOIN purchase_reversals r ON r.id = t.reversal_id
                         WHERE r.checkout_id = $1`, [r.checkoutId])).toEqual([{ credit_type: "standard", reclaimed_credits: "50" }]);
    expect(await bed.q(`SELECT credit_type, frozen_credits::text, restored_lot_id FROM stripe_chargeback_lots WHERE chargeback_id = $1`, [dispute.id]))
      .toEqual([{ credit_type: "standard", frozen_credits: "90", restored_lot_id: null }]);

    // The late created event freezes nothing more; closing it (won) gives the 90 back once, resumes, and mails.
    await bed.send(bed.stripe.event("charge.dispute.created", dispute));
    expect(await balance(u.key)).toMatchObject({ posted: 0, frozen: 90, status: "paused" });
    await bed.send(bed.stripe.closeDispute(dispute.id, "won"));
    expect(await balance(u.key)).toMatchObject({ posted: 90, frozen: 0, status: "active" });
    const mails = await waitForMail(bed, await emailOf(bed, u.id), "chargeback_won");
    expect(mails[0]!.subject).toBe("Chargeback closed: 90 credits back, account resumed");
    // The refund's second half takes only its own share.
    await bed.send(bed.stripe.refund(r.sessionId, 500));
    expect((await balance(refunded.key)).posted).toBe(0);
  });
});
