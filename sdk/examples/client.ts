/** Shared by the examples: a client from HOLDFAST_URL / HOLDFAST_API_KEY (and HOLDFAST_USER_ID for service keys). */
import { HoldfastClient } from "../src/index.js"; // outside this repository: from "@holdfast/sdk"

export function clientFromEnv(): HoldfastClient {
  const apiKey = process.env.HOLDFAST_API_KEY;
  if (!apiKey) throw new Error("Set HOLDFAST_API_KEY (and HOLDFAST_URL if not http://localhost:3000).");
  return new HoldfastClient({ baseUrl: process.env.HOLDFAST_URL ?? "http://localhost:3000", apiKey, userId: process.env.HOLDFAST_USER_ID });
}
