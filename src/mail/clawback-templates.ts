/**
 * The emails of Stripe refunds and chargebacks (src/billing/reversals.ts):
 * credits taken back (and what is owed when they were already spent), and
 * credits frozen while a chargeback is open. Each links to the dashboard,
 * whose Overview shows what is owed or frozen and how to repay it.
 */
import { DEFAULT_CREDIT_TYPE } from "../ledger/types";

export type ClawbackMail =
  | {
      kind: "credits_clawed_back";
      reason: "refund" | "chargeback";
      /** What the payment bought, e.g. "your purchase of 100 credits", "your Pro plan payment". */
      item: string;
      creditType: string;
      takenBack: number;
      /** Credits of this step that were already spent and are now owed. */
      owed: number;
      /** Everything the account owes now (all credit types). */
      totalOwed: number;
    }
  | { kind: "chargeback_frozen"; item: string; creditType: string; frozen: number; paused: boolean; disputeId: string };

/** The dashboard's Overview (same style as the payment-failed email's link: PUBLIC_URL, or where to click without one). */
export function dashboardLine(publicUrl: string | null, what: string): string {
  return publicUrl
    ? `See ${what} on the dashboard: ${publicUrl.replace(/\/$/, "")}/`
    : `See ${what} on the dashboard's Overview.`;
}

/** "5 credits", or "5 gpu credits" for a credit type other than the default. */
const credits = (n: number, type: string) => `${n} ${type === DEFAULT_CREDIT_TYPE ? "" : `${type} `}credit${n === 1 ? "" : "s"}`;

export function clawbackBody(m: ClawbackMail, publicUrl: string | null): { subject: string; lines: string[] } {
  switch (m.kind) {
    case "credits_clawed_back": {
      const why = m.reason === "refund" ? `${m.item} was refunded` : `the chargeback on ${m.item} was decided against us`;
      const total = m.takenBack + m.owed;
      return {
        subject: m.owed > 0
          ? `${m.reason === "refund" ? "Refund" : "Chargeback"}: ${credits(m.owed, m.creditType)} owed`
          : `${m.reason === "refund" ? "Refund" : "Chargeback"}: ${credits(m.takenBack, m.creditType)} taken back`,
        lines: [
          `Because ${why}, the ${credits(total, m.creditType)} it paid for are no longer yours.`,
          `${credits(m.takenBack, m.creditType)} ${m.takenBack === 1 ? "was" : "were"} taken back from your balance.`,
          ...(m.owed > 0
            ? [
                `${credits(m.owed, m.creditType)} had already been spent, so your account owes ${m.owed === 1 ? "it" : "them"}` +
                  `${m.totalOwed > m.owed ? ` (${m.totalOwed} credits owed in all)` : ""}.`,
                "No new work can start while credits are owed. Your next purchase pays the debt first; or contact support.",
              ]
            : []),
          dashboardLine(publicUrl, m.owed > 0 ? "what is owed and how to repay it" : "your balance"),
        ],
      };
    }
    case "chargeback_frozen":
      return {
        subject: `Chargeback opened: ${credits(m.frozen, m.creditType)} frozen${m.paused ? ", account paused" : ""}`,
        lines: [
          `Your bank opened a chargeback on ${m.item}.`,
          `While it is open, ${credits(m.frozen, m.creditType)} from that payment ${m.frozen === 1 ? "is" : "are"} frozen and cannot be used` +
            `${m.paused ? ", and your account is paused: no new work can start" : ""}.`,
          "If the chargeback is decided in our favour, the frozen credits come back and the account resumes. If it is lost, " +
            "they are taken back, and whatever of that payment was already spent becomes a debt.",
          `Reference: ${m.disputeId}`,
          dashboardLine(publicUrl, "your balance and the frozen credits"),
        ],
      };
  }
}
