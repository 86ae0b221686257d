/**
 * The emails of Stripe refunds and chargebacks (src/billing/reversals.ts):
 * credits taken back (and what is owed when they were already spent),
 * credits frozen while a chargeback is open, and given back when it is won. Each links to the dashboard,
 * whose Overview shows what is owed or frozen and how to repay it.
 */
import { DEFAULT_CREDIT_TYPE } from "../ledger/types";

/** Credits of one type (a payment may have granted several). */
export interface CreditsOfType {
  creditType: string;
  credits: number;
}

export type ClawbackMail =
  | {
      kind: "credits_clawed_back";
      reason: "refund" | "chargeback";
      /** What the payment bought, e.g. "your purchase of 100 credits", "your Pro plan payment". */
      item: string;
      /** Per credit type of this step: credits taken back, and those already spent and now owed. */
      parts: { creditType: string; takenBack: number; owed: number }[];
      /** Everything the account owes now (all credit types). */
      totalOwed: number;
    }
  | {
      kind: "chargeback_frozen";
      item: string;
      frozen: CreditsOfType[];
      paused: boolean;
      /** Credits the payment granted after the chargeback opened, frozen too. */
      more: boolean;
      disputeId: string;
    }
  | { kind: "chargeback_won"; item: string; returned: CreditsOfType[]; resumed: boolean; disputeId: string };

/** The dashboard's Overview (same style as the payment-failed email's link: PUBLIC_URL, or where to click without one). */
export function dashboardLine(publicUrl: string | null, what: string): string {
  return publicUrl
    ? `See ${what} on the dashboard: ${publicUrl.replace(/\/$/, "")}/`
    : `See ${what} on the dashboard's Overview.`;
}

/** "5 credits", or "5 gpu credits" for a credit type other than the default. */
const credits = (n: number, type: string) => `${n} ${type === DEFAULT_CREDIT_TYPE ? "" : `${type} `}credit${n === 1 ? "" : "s"}`;

/** "5 credits", "5 credits and 2 gpu credits": the non-zero amounts (or "0 credits"). */
function creditList(list: CreditsOfType[]): string {
  const some = list.filter((c) => c.credits > 0);
  if (some.length === 0) return credits(0, list[0]?.creditType ?? DEFAULT_CREDIT_TYPE);
  const words = some.map((c) => credits(c.credits, c.creditType));
  return words.length === 1 ? words[0]! : `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}

/** "was"/"were" (or "is"/"are") for a creditList. */
const one = (list: CreditsOfType[]) => {
  const some = list.filter((c) => c.credits > 0);
  return some.length === 1 && some[0]!.credits === 1;
};

export function clawbackBody(m: ClawbackMail, publicUrl: string | null): { subject: string; lines: string[] } {
  switch (m.kind) {
    case "credits_clawed_back": {
      const why = m.reason === "refund" ? `${m.item} was refunded` : `the chargeback on ${m.item} was decided against us`;
      const taken = m.parts.map((p) => ({ creditType: p.creditType, credits: p.takenBack }));
      const owed = m.parts.map((p) => ({ creditType: p.creditType, credits: p.owed }));
      const total = m.parts.map((p) => ({ creditType: p.creditType, credits: p.takenBack + p.owed }));
      const owedSum = m.parts.reduce((s, p) => s + p.owed, 0);
      const title = m.reason === "refund" ? "Refund" : "Chargeback";
      return {
        subject: owedSum > 0 ? `${title}: ${creditList(owed)} owed` : `${title}: ${creditList(taken)} taken back`,
        lines: [
          `Because ${why}, the ${creditList(total)} it paid for are no longer yours.`,
          `${creditList(taken)} ${one(taken) ? "was" : "were"} taken back from your balance.`,
          ...(owedSum > 0
            ? [
                `${creditList(owed)} had already been spent, so your account owes ${one(owed) ? "it" : "them"}` +
                  `${m.totalOwed > owedSum ? ` (${m.totalOwed} credits owed in all)` : ""}.`,
                "No new work can start while credits are owed. Your next purchase pays the debt first; or contact support.",
              ]
            : []),
          dashboardLine(publicUrl, owedSum > 0 ? "what is owed and how to repay it" : "your balance"),
        ],
      };
    }
    case "chargeback_frozen":
      if (m.more) {
        return {
          subject: `Chargeback open: ${creditList(m.frozen)} more frozen`,
          lines: [
            `${creditList(m.frozen)} from ${m.item} ${one(m.frozen) ? "was" : "were"} added while its chargeback is open, ` +
              `so ${one(m.frozen) ? "it is" : "they are"} frozen too and cannot be used until it closes.`,
            `Reference: ${m.disputeId}`,
            dashboardLine(publicUrl, "your balance and the frozen credits"),
          ],
        };
      }
      return {
        subject: `Chargeback opened: ${creditList(m.frozen)} frozen${m.paused ? ", account paused" : ""}`,
        lines: [
          `Your bank opened a chargeback on ${m.item}.`,
          `While it is open, ${creditList(m.frozen)} from that payment ${one(m.frozen) ? "is" : "are"} frozen and cannot be used` +
            `${m.paused ? ", and your account is paused: no new work can start" : ""}.`,
          "If the chargeback is decided in our favour, the frozen credits come back and the account resumes. If it is lost, " +
            "they are taken back, and whatever of that payment was already spent becomes a debt.",
          `Reference: ${m.disputeId}`,
          dashboardLine(publicUrl, "your balance and the frozen credits"),
        ],
      };
    case "chargeback_won": {
      const back = m.returned.some((c) => c.credits > 0);
      return {
        subject: `Chargeback closed: ${back ? `${creditList(m.returned)} back` : "nothing taken"}${m.resumed ? ", account resumed" : ""}`,
        lines: [
          `The chargeback on ${m.item} was decided in our favour and is closed.`,
          back
            ? `The ${creditList(m.returned)} frozen while it was open ${one(m.returned) ? "is" : "are"} back in your balance.`
            : "No credits were frozen, and none are taken back.",
          ...(m.resumed ? ["Your account is active again: new work can start."] : []),
          `Reference: ${m.disputeId}`,
          dashboardLine(publicUrl, "your balance"),
        ],
      };
    }
  }
}
