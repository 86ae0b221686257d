/**
 * Where mail goes. SMTP_URL set → nodemailer's SMTP transport. Unset → the
 * message is built by nodemailer all the same (streamTransport, buffered) and
 * written as an .eml file into OUTBOX_DIR, and the path is logged: the demo
 * shows every email without a mail server.
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import nodemailer from "nodemailer";
import type { Config } from "../config";
import type { Logger } from "../logger";

export interface OutgoingMail {
  id: string;
  kind: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  /** Where messages go, for logs: "smtp://host:port" or the outbox folder. */
  readonly target: string;
  send(mail: OutgoingMail): Promise<{ messageId: string; file?: string }>;
  close(): void;
}

/**
 * The Message-ID derives from the notification id, so a message re-sent
 * after a crash between "accepted by SMTP" and "marked sent" carries the same
 * id and mail clients can fold the duplicate.
 */
function messageId(mail: OutgoingMail): string {
  return `<${mail.id}@holdfast.mail>`;
}

export function createMailer(config: Config, logger: Logger): Mailer {
  if (config.SMTP_URL) {
    const transport = nodemailer.createTransport(config.SMTP_URL);
    const u = new URL(config.SMTP_URL);
    return {
      target: `${u.protocol}//${u.host}`,
      async send(mail) {
        const info = await transport.sendMail({
          from: config.MAIL_FROM, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, messageId: messageId(mail),
          headers: { "X-Holdfast-Kind": mail.kind },
        });
        return { messageId: String(info.messageId ?? messageId(mail)) };
      },
      close: () => transport.close(),
    };
  }

  const dir = path.resolve(config.OUTBOX_DIR);
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" });
  return {
    target: dir,
    async send(mail) {
      const info = await transport.sendMail({
        from: config.MAIL_FROM, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, messageId: messageId(mail),
        headers: { "X-Holdfast-Kind": mail.kind },
      });
      await mkdir(dir, { recursive: true });
      // Named by notification id: a retry overwrites rather than duplicates;
      // written to a temp name first so a reader never sees half a message.
      const file = path.join(dir, `${mail.kind}-${mail.id}.eml`);
      const tmp = `${file}.tmp`;
      await writeFile(tmp, info.message as Buffer);
      await rename(tmp, file);
      logger.info({ to: mail.to, subject: mail.subject, file }, "email written to the outbox (no SMTP_URL configured)");
      return { messageId: messageId(mail), file };
    },
    close: () => transport.close(),
  };
}
