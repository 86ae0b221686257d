/**
 * `npm run ledger:check`: verify every ledger invariant over DATABASE_URL.
 * Exit 0 when all hold; 1 with a report naming each account, expected and found.
 */
import { loadConfig } from "../src/config";
import { createDataSource } from "../src/db/data-source";
import { checkLedger, formatReport } from "../src/ledger";

/** host:port/database of the URL, so a failure says which database it was (never the password). */
let target = "DATABASE_URL";

async function main(): Promise<number> {
  const config = loadConfig();
  const url = process.argv[2] ?? config.DATABASE_URL;
  const u = new URL(url);
  target = `${u.hostname}:${u.port || "5432"}${u.pathname}`;
  const ds = createDataSource({ url, poolSize: 1, applicationName: "holdfast-ledger-check" });
  await ds.initialize();
  try {
    // One snapshot for every rule, so concurrent writers cannot make it flap.
    const report = await ds.transaction("REPEATABLE READ", (m) => checkLedger(m));
    console.log(formatReport(report));
    return report.ok ? 0 : 1;
  } finally {
    await ds.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`ledger check could not run on ${target}: ${err instanceof Error ? err.message : String(err)}`);
    if (err instanceof Error && /relation .* does not exist/.test(err.message)) {
      console.error("  is this database migrated? `npm run migrate` applies the migrations to DATABASE_URL.");
    }
    process.exit(2);
  },
);
