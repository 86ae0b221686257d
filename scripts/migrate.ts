/** Apply pending migrations to DATABASE_URL (`npm run migrate`). */
import { loadConfig } from "../src/config";
import { connectAndMigrate } from "../src/db/data-source";

async function main(): Promise<void> {
  const config = loadConfig();
  const ds = await connectAndMigrate({ url: config.DATABASE_URL, poolSize: 2, applicationName: "holdfast-migrate" });
  const applied: { name: string }[] = await ds.query(`SELECT name FROM typeorm_migrations ORDER BY id`);
  console.log(`migrations applied: ${applied.map((m) => m.name).join(", ")}`);
  await ds.destroy();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
