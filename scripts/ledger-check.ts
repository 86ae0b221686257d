/**
 * `npm run ledger:check`: verify every ledger invariant over DATABASE_URL.
 * Exit 0 when all hold; 1 with a report naming each account, expected and found.
 */
import { loadConfig } from "../src/config";
import { createDataSource } from "../src/db/data-source";
import { checkLedger, formatReport } from "../src/ledger";

async function main(): Promise<number> {
  const config = loadConfig();
  const ds = createDataSource({ url: process.argv[2] ?? config.DATABASE_URL, poolSize: 1, applicationName: "holdfast-ledger-check" });
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
    console.error(`ledger check could not run: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
