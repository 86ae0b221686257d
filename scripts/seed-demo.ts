/**
 * Seed the demo user `demo@holdfast.local` with an API key and 1000 credits
 * (`npm start` runs this). Safe to run on every start: the user and key are
 * upserted, and the grant's transfer id derives from the user id, so the
 * credits are granted once, ever.
 *
 * The key is DEMO_API_KEY when set, else the one saved in DEMO_KEY_FILE
 * (default .data/demo-api-key), else a new one saved there.
 * Prints DEMO_API_KEY=…, DEMO_USER_ID=… and DEMO_SIGN_IN_TOKEN=… (a
 * single-use dashboard sign-in, valid 15 min) on stdout; notes go to stderr.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { systemClock } from "../src/clock";
import { loadConfig } from "../src/config";
import { createSignInToken } from "../src/dashboard/sessions";
import { createDataSource } from "../src/db/data-source";
import { derivedId } from "../src/lib/ids";
import * as ledger from "../src/ledger";
import { migrateUnderLock } from "../src/processes/migrate";
import { generateApiKey } from "../src/users/api-keys";
import { ensureUserWithKey } from "../src/users/users";

export const DEMO_EMAIL = "demo@holdfast.local";
export const DEMO_CREDITS = 1000;

function demoKey(): string {
  const fromEnv = process.env.DEMO_API_KEY?.trim();
  if (fromEnv) return fromEnv;
  const file = path.resolve(process.env.DEMO_KEY_FILE ?? ".data/demo-api-key");
  if (existsSync(file)) {
    const saved = readFileSync(file, "utf8").trim();
    if (saved) return saved;
  }
  const { key } = generateApiKey();
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  console.error(`[seed] new demo API key saved in ${file}`);
  return key;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const ds = createDataSource({ url: config.DATABASE_URL, poolSize: 2, applicationName: "holdfast-seed" });
  await ds.initialize();
  try {
    await migrateUnderLock(ds);
    const key = demoKey();
    const user = await ensureUserWithKey(ds.manager, { email: DEMO_EMAIL, name: "Demo user", role: "user", apiKey: key });
    const g = await ledger.grant(ds.manager, {
      id: derivedId(user.id, "demo-grant"), userId: user.id, amount: DEMO_CREDITS, category: "promotional", description: "Demo credits",
    });
    const b = await ledger.balances(ds.manager, user.id);
    console.error(`[seed] demo user ${DEMO_EMAIL}: ${g.status === "created" ? `granted ${DEMO_CREDITS} credits` : "already seeded"}; available ${b.available}`);
    console.log(`DEMO_API_KEY=${key}`);
    console.log(`DEMO_USER_ID=${user.id}`);
    // A one-click dashboard sign-in for the demo user (single use, short-lived).
    console.log(`DEMO_SIGN_IN_TOKEN=${(await createSignInToken({ ds, clock: systemClock }, key)).token}`);
  } finally {
    await ds.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(`[seed] failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
