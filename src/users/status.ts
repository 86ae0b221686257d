/** A user's credit service status, checked wherever credits could be spent. */
import type { User } from "../entities/user";
import { AppError } from "../errors";

/** The one `account_paused` error (403). */
export function accountPaused(): AppError {
  return new AppError("account_paused", "Your credit service is paused; contact support.");
}

/** Refuse early when the authenticated user is paused (admission re-checks it in the database). */
export function assertActive(user: Pick<User, "creditStatus">): void {
  if (user.creditStatus === "paused") throw accountPaused();
}
