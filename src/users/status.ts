/** A user's credit service status, checked wherever credits could be spent. */
import type { User } from "../entities/user";
import { AppError } from "../errors";

/**
 * The one `account_paused` error (403). With the pause's reason when known: a chargeback's pause
 * (`chargeback:<dispute id>`, src/billing/clawbacks.ts) says so and is in `details.reason`.
 */
export function accountPaused(reason?: string | null): AppError {
  if (reason?.startsWith("chargeback:")) {
    return new AppError("account_paused",
      `Your credit service is paused while a chargeback on one of your purchases is open (${reason.slice("chargeback:".length)}); the purchase's remaining credits are frozen until it closes. Contact support.`,
      { reason: "chargeback", stripe_dispute_id: reason.slice("chargeback:".length) });
  }
  return new AppError("account_paused", "Your credit service is paused; contact support.");
}

/** Refuse early when the authenticated user is paused (admission re-checks it in the database). */
export function assertActive(user: Pick<User, "creditStatus" | "pauseReason">): void {
  if (user.creditStatus === "paused") throw accountPaused(user.pauseReason);
}
