/**
 * API keys are 32 random bytes (base64url) behind a readable prefix. Only the
 * sha256 of a key is stored: keys are high-entropy, so a fast hash is enough
 * and lookups stay one indexed equality.
 */
import { createHash, randomBytes } from "node:crypto";

export const KEY_PREFIX = "hf_";

export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const key = `${KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
  return { key, prefix: key.slice(0, 11), hash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}
