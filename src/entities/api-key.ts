import { EntitySchema } from "typeorm";

/** An API key; only its sha256 hash is stored, `prefix` is shown to help people tell keys apart. */
export interface ApiKey {
  id: string;
  userId: string;
  prefix: string;
  keyHash: string;
  name: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export const ApiKeyEntity = new EntitySchema<ApiKey>({
  name: "ApiKey",
  tableName: "api_keys",
  columns: {
    id: { type: "uuid", primary: true, generated: "uuid" },
    userId: { name: "user_id", type: "uuid" },
    prefix: { type: "text" },
    keyHash: { name: "key_hash", type: "text" },
    name: { type: "text", nullable: true },
    createdAt: { name: "created_at", type: "timestamptz", createDate: true },
    lastUsedAt: { name: "last_used_at", type: "timestamptz", nullable: true },
    revokedAt: { name: "revoked_at", type: "timestamptz", nullable: true },
  },
});
