/**
 * Every email Holdfast sends: one typed message per kind, rendered to a
 * subject, a plain-text body and an HTML body. Rendering is pure (no I/O),
 * so a notification row stores exactly what was sent.
 */
import { centsToDollars } from "../lib/money";
import { clawbackBody, type ClawbackMail } from "./clawback-templates";
import { disputeBody, type DisputeMail } from "./dispute-templates";

export type MailMessage =
  | { kind: "purchase_receipt"; credits: number; totalCents: number; checkoutId: string }
  | { kind: "subscription_receipt"; planName: string; credits: number; amountCents: number; periodStart: Date; periodEnd: Date; rollover: boolean }
  | { kind: "plan_credits"; planName: string; credits: number; periodStart: Date; periodEnd: Date; rollover: boolean; reason: "assigned" | "renewed" | "upgraded" }
  | { kind: "payment_failed"; planName: string; amountCents: number; nextAttempt: Date | null }
  | { kind: "low_credit"; available: number; threshold: number; creditType: string }
  | { kind: "renewal_reminder"; planName: string; periodEnd: Date; priceCents: number | null; cancelAtPeriodEnd: boolean }
  | DisputeMail
  | ClawbackMail
  /** To ADMIN_EMAIL: an anomaly alert (src/alerts). */
  | { kind: "admin_alert"; alertType: string; alertId: string; summary: string; details: Record<string, unknown> };

export type MailKind = MailMessage["kind"];

export interface Rendered {
  subject: string;
  text: string;
  html: string;
}

export interface RenderContext {
  /** Recipient's name, if known. */
  name: string | null;
  /** Base URL for links (PUBLIC_URL), if configured. */
  publicUrl: string | null;
}

const day = (d: Date) => d.toISOString().slice(0, 10);
const usd = (cents: number) => `$${centsToDollars(cents)}`;

/**
 * The payment-failed email's way to fix it. Stripe portal sessions are
 * short-lived and single-use, so the email links to the dashboard's overview
 * with `?portal=1`, which asks POST /api/v1/billing/portal for a fresh
 * session and redirects to it.
 */
export function portalLink(publicUrl: string): string {
  return `${publicUrl.replace(/\/$/, "")}/?portal=1`;
}

function fixPaymentLine(publicUrl: string | null): string {
  return publicUrl
    ? `Update your payment method in the billing portal: ${portalLink(publicUrl)}`
    : "Update your payment method in the billing portal: open the dashboard and choose \"Manage billing\".";
}

function body(m: MailMessage, publicUrl: string | null): { subject: string; lines: string[] } {
  switch (m.kind) {
    case "dispute_opened":
    case "dispute_opened_admin":
    case "dispute_under_review":
    case "dispute_resolved":
      return disputeBody(m);
    case "credits_clawed_back":
    case "chargeback_frozen":
    case "chargeback_won":
      return clawbackBody(m, publicUrl);
    case "purchase_receipt":
      return {
        subject: `Receipt: ${m.credits} Holdfast credits`,
        lines: [
          `Thank you for your purchase. ${m.credits} credits have been added to your balance.`,
          `Amount paid: ${usd(m.totalCents)}. Purchased credits never expire.`,
          `Reference: ${m.checkoutId}`,
        ],
      };
    case "subscription_receipt":
      return {
        subject: `Receipt: ${m.planName} plan, ${day(m.periodStart)} to ${day(m.periodEnd)}`,
        lines: [
          `Your payment of ${usd(m.amountCents)} for the ${m.planName} plan was received.`,
          `${m.credits} credits have been added for the period ${day(m.periodStart)} to ${day(m.periodEnd)}.`,
          m.rollover ? "Unused plan credits roll over." : `Unused plan credits expire at the end of the period (${day(m.periodEnd)}).`,
        ],
      };
    case "plan_credits":
      return {
        subject: m.reason === "renewed" ? `Your ${m.planName} plan renewed` : `Your ${m.planName} plan is active`,
        lines: [
          `${m.credits} credits of your ${m.planName} plan have been added for ${day(m.periodStart)} to ${day(m.periodEnd)}.`,
          m.rollover ? "Unused plan credits roll over." : `Unused plan credits expire at the end of the period (${day(m.periodEnd)}).`,
        ],
      };
    case "payment_failed":
      return {
        subject: `Payment failed for your ${m.planName} plan`,
        lines: [
          `We could not collect ${usd(m.amountCents)} for your ${m.planName} plan, so your subscription is past due.`,
          m.nextAttempt ? `We will try again on ${day(m.nextAttempt)}.` : "Please update your payment method to keep your plan.",
          "No new plan credits are added until the payment succeeds.",
          fixPaymentLine(publicUrl),
        ],
      };
    case "low_credit":
      return {
        subject: `Your Holdfast balance is low: ${m.available} credits left`,
        lines: [
          `Your available balance is ${m.available} ${m.creditType} credits, below your alert threshold of ${m.threshold}.`,
          "Buy credits or change plans to keep your jobs running. You will get this alert again only after a top-up.",
        ],
      };
    case "renewal_reminder":
      return {
        subject: m.cancelAtPeriodEnd ? `Your ${m.planName} plan ends on ${day(m.periodEnd)}` : `Your ${m.planName} plan renews on ${day(m.periodEnd)}`,
        lines: m.cancelAtPeriodEnd
          ? [`Your ${m.planName} plan ends on ${day(m.periodEnd)} and will not renew.`, "Unused plan credits that do not roll over expire then."]
          : [
              `Your ${m.planName} plan renews on ${day(m.periodEnd)}${m.priceCents !== null ? ` for ${usd(m.priceCents)}` : ""}.`,
              "Unused plan credits that do not roll over expire then, so this is a good time to use them.",
            ],
      };
    case "admin_alert":
      return {
        subject: `[Holdfast alert] ${m.alertType}: ${m.summary}`,
        lines: [m.summary, `Details: ${JSON.stringify(m.details)}`, `Alert ${m.alertId}; all alerts: GET /api/v1/admin/alerts?type=${m.alertType}`],
      };
  }
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

export function render(m: MailMessage, rc: RenderContext): Rendered {
  const { subject, lines } = body(m, rc.publicUrl);
  const greeting = rc.name ? `Hello ${rc.name},` : "Hello,";
  const link = rc.publicUrl ? `Your account: ${rc.publicUrl.replace(/\/$/, "")}/api/v1/credits/balance` : null;
  const text = [greeting, "", ...lines, "", ...(link ? [link, ""] : []), "— Holdfast"].join("\n");
  const html = [
    "<!doctype html><html><body style=\"font-family: sans-serif; line-height: 1.5\">",
    `<p>${escapeHtml(greeting)}</p>`,
    ...lines.map((l) => `<p>${escapeHtml(l)}</p>`),
    ...(link ? [`<p><a href="${escapeHtml(rc.publicUrl!.replace(/\/$/, ""))}/api/v1/credits/balance">Your account</a></p>`] : []),
    "<p>— Holdfast</p></body></html>",
  ].join("\n");
  return { subject, text, html };
}
