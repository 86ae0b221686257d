/**
 * A real SMTP server on loopback (the smtp-server package) that keeps every
 * message it receives, for tests to read: nodemailer's SMTP transport runs for
 * real against it (SMTP_URL=sink.url).
 */
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  headers: Record<string, string>;
  subject: string;
  /** Decoded text of the message (quoted-printable undone), for simple `includes` checks. */
  text: string;
}

function decodeQuotedPrintable(s: string): string {
  const bytes: number[] = [];
  const src = s.replace(/=\r?\n/g, "");
  for (let i = 0; i < src.length; i++) {
    if (src[i] === "=" && /^[0-9A-F]{2}$/i.test(src.slice(i + 1, i + 3))) {
      bytes.push(parseInt(src.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(src[i]!, "utf8"));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

function parse(raw: string, from: string, to: string[]): ReceivedMail {
  const split = raw.search(/\r?\n\r?\n/);
  const head = raw.slice(0, split).replace(/\r?\n[ \t]+/g, " ");
  const headers: Record<string, string> = {};
  for (const line of head.split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { from, to, raw, headers, subject: headers.subject ?? "", text: decodeQuotedPrintable(raw.slice(split)) };
}

export class SmtpSink {
  readonly messages: ReceivedMail[] = [];
  url = "";
  private server!: SMTPServer;

  static async start(): Promise<SmtpSink> {
    const sink = new SmtpSink();
    sink.server = new SMTPServer({
      authOptional: true,
      // Plain SMTP on loopback: no STARTTLS with a self-signed certificate to refuse.
      disabledCommands: ["STARTTLS", "AUTH"],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          const to = session.envelope.rcptTo.map((a) => a.address);
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
          sink.messages.push(parse(Buffer.concat(chunks).toString("utf8"), from, to));
          callback();
        });
      },
    });
    await new Promise<void>((r) => sink.server.listen(0, "127.0.0.1", () => r()));
    sink.url = `smtp://127.0.0.1:${(sink.server.server.address() as AddressInfo).port}`;
    return sink;
  }

  /** Messages to an address (optionally of a kind, from the X-Holdfast-Kind header). */
  to(address: string, kind?: string): ReceivedMail[] {
    return this.messages.filter((m) => m.to.includes(address) && (!kind || m.headers["x-holdfast-kind"] === kind));
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
