/**
 * Email: a dedupe key makes a message go out once however often it is
 * queued; without SMTP_URL messages land as .eml files in the outbox; a
 * failing SMTP server leaves the message pending with its error, for retries.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dispatchEmails, MailBatch, queueUserEmail } from "../../src/mail/notifications";
import { waitFor } from "../helpers/platform";
import { type BillingBed, emailOf, startBillingBed, waitForMail } from "./harness";

const message = { kind: "low_credit" as const, available: 3, threshold: 10, creditType: "standard" };

async function queue(bed: BillingBed, userId: string, key: string): Promise<string[]> {
  const batch = new MailBatch();
  await bed.p.ctx.ds.transaction(async (m) => batch.add(await queueUserEmail(m, null, userId, key, message)));
  await dispatchEmails(bed.p.ctx, batch.ids);
  return batch.ids;
}

describe("over SMTP", () => {
  let bed: BillingBed;
  beforeAll(async () => {
    bed = await startBillingBed({ stripe: false });
  });
  afterAll(async () => {
    await bed?.close();
  });

  it("a message queued many times with one dedupe key is sent once, plain text and HTML", async () => {
    const u = await bed.p.user();
    const email = await emailOf(bed, u.id);
    const ids = (await Promise.all(Array.from({ length: 8 }, () => queue(bed, u.id, "test:once")))).flat();
    expect(ids).toHaveLength(1);
    const [mail] = await waitForMail(bed, email, "low_credit");
    await new Promise((r) => setTimeout(r, 300));
    expect(bed.smtp.to(email)).toHaveLength(1);
    expect(mail!.headers.from).toBe("Holdfast <billing@holdfast.test>");
    expect(mail!.headers["content-type"]).toMatch(/multipart\/alternative/);
    expect(mail!.text).toContain("Your available balance is 3 standard credits");
    expect(mail!.text).toContain("<p>Your available balance is 3 standard credits");
    const row = await bed.q<{ status: string; attempts: number; sent_at: Date | null }>(`SELECT status, attempts, sent_at FROM notifications WHERE id = $1`, [ids[0]]);
    expect(row[0]).toMatchObject({ status: "sent", attempts: 1 });
  });
});

describe("without SMTP_URL", () => {
  let bed: BillingBed;
  let outbox: string;
  beforeAll(async () => {
    outbox = await mkdtemp(path.join(tmpdir(), "holdfast-outbox-"));
    bed = await startBillingBed({ stripe: false, env: { SMTP_URL: "", OUTBOX_DIR: outbox } });
  });
  afterAll(async () => {
    await bed?.close();
    await rm(outbox, { recursive: true, force: true });
  });

  it("writes each message as an .eml file into the outbox", async () => {
    const u = await bed.p.user();
    const [id] = await queue(bed, u.id, "test:outbox");
    const file = await waitFor(async () => (await readdir(outbox)).find((f) => f.endsWith(`${id}.eml`)) ?? null, { what: "outbox file" });
    expect(file).toBe(`low_credit-${id}.eml`);
    const eml = await readFile(path.join(outbox, file), "utf8");
    expect(eml).toMatch(/^Subject: Your Holdfast balance is low: 3 credits left$/m);
    expect(eml).toContain(`To: ${await emailOf(bed, u.id)}`);
    await waitFor(async () => ((await bed.q<{ status: string }>(`SELECT status FROM notifications WHERE id = $1`, [id]))[0]!.status === "sent" ? true : null), { what: "marked sent" });
  });
});

describe("SMTP down", () => {
  let bed: BillingBed;
  beforeAll(async () => {
    bed = await startBillingBed({ stripe: false, env: { SMTP_URL: "smtp://127.0.0.1:9" } });
  });
  afterAll(async () => {
    await bed?.close();
  });

  it("keeps the message pending with its error, to be retried", async () => {
    const u = await bed.p.user();
    const [id] = await queue(bed, u.id, "test:down");
    const row = await waitFor(async () => {
      const r = await bed.q<{ status: string; attempts: number; last_error: string | null }>(`SELECT status, attempts, last_error FROM notifications WHERE id = $1`, [id]);
      return r[0]!.last_error ? r[0] : null;
    }, { what: "a failed attempt recorded" });
    expect(row).toMatchObject({ status: "pending", attempts: 1 });
    const job = await bed.p.ctx.queues.mail.getJob(id!);
    expect(await job?.getState()).toMatch(/delayed|waiting|active/);
  });
});
