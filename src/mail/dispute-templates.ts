/**
 * The emails a dispute sends at each change of status: opened (to the user,
 * and a copy to the operator's ADMIN_EMAIL), under review, resolved.
 */
export type DisputeMail =
  | { kind: "dispute_opened"; disputeId: string; item: string; disputedCredits: number; reason: string }
  | { kind: "dispute_opened_admin"; disputeId: string; item: string; disputedCredits: number; reason: string; userEmail: string; description: string }
  | { kind: "dispute_under_review"; disputeId: string; item: string }
  | { kind: "dispute_resolved"; disputeId: string; item: string; outcome: "refunded" | "rejected"; refundedCredits: number; note: string | null };

export function disputeBody(m: DisputeMail): { subject: string; lines: string[] } {
  switch (m.kind) {
    case "dispute_opened":
      return {
        subject: `We received your dispute about ${m.item}`,
        lines: [
          `Your dispute about ${m.item} (${m.disputedCredits} credits, reason: ${m.reason}) is open.`,
          "We will look at it and email you when it is under review and when it is resolved.",
          `Reference: ${m.disputeId}`,
        ],
      };
    case "dispute_opened_admin":
      return {
        subject: `New dispute from ${m.userEmail}: ${m.disputedCredits} credits`,
        lines: [
          `${m.userEmail} disputes ${m.item} (${m.disputedCredits} credits, reason: ${m.reason}).`,
          `Their words: ${m.description}`,
          `Review: POST /api/v1/admin/disputes/${m.disputeId}/review, resolve: POST /api/v1/admin/disputes/${m.disputeId}/resolve`,
        ],
      };
    case "dispute_under_review":
      return {
        subject: `Your dispute about ${m.item} is under review`,
        lines: [`We are reviewing your dispute about ${m.item}. We will email you when it is resolved.`, `Reference: ${m.disputeId}`],
      };
    case "dispute_resolved":
      return {
        subject: m.outcome === "refunded"
          ? `Your dispute is resolved: ${m.refundedCredits} credits returned`
          : `Your dispute about ${m.item} is resolved`,
        lines: [
          m.outcome === "refunded"
            ? `Your dispute about ${m.item} is resolved in your favour: ${m.refundedCredits} credits have been returned to your balance.`
            : `Your dispute about ${m.item} is resolved: we could not refund it.`,
          ...(m.note ? [`Note from our team: ${m.note}`] : []),
          `Reference: ${m.disputeId}`,
        ],
      };
  }
}
