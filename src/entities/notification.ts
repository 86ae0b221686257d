import { EntitySchema } from "typeorm";

export type NotificationStatus = "pending" | "sent" | "failed";

/** One outgoing email; `dedupeKey` is unique, so the same fact is never mailed twice. */
export interface Notification {
  id: string;
  userId: string | null;
  kind: string;
  dedupeKey: string;
  toAddress: string;
  subject: string;
  bodyText: string;
  bodyHtml: string;
  status: NotificationStatus;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

export const NotificationEntity = new EntitySchema<Notification>({
  name: "Notification",
  tableName: "notifications",
  columns: {
    id: { type: "uuid", primary: true, generated: "uuid" },
    userId: { name: "user_id", type: "uuid", nullable: true },
    kind: { type: "text" },
    dedupeKey: { name: "dedupe_key", type: "text" },
    toAddress: { name: "to_address", type: "text" },
    subject: { type: "text" },
    bodyText: { name: "body_text", type: "text" },
    bodyHtml: { name: "body_html", type: "text" },
    status: { type: "text" },
    attempts: { type: "int" },
    lastError: { name: "last_error", type: "text", nullable: true },
    createdAt: { name: "created_at", type: "timestamptz", createDate: true },
    sentAt: { name: "sent_at", type: "timestamptz", nullable: true },
  },
});
