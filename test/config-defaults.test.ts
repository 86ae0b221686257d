/**
 * A second checkout started with its own ports (HOLDFAST_PG_PORT / HOLDFAST_REDIS_PORT) must not
 * default to the first checkout's servers: `npm run migrate` and `npm run ledger:check` there
 * read DATABASE_URL from loadConfig() alone.
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config";

describe("loadConfig: local server defaults", () => {
  it("defaults to the project's own ports", () => {
    const c = loadConfig({});
    expect(c.DATABASE_URL).toBe("postgres://holdfast:holdfast@127.0.0.1:54329/holdfast");
    expect(c.REDIS_URL).toBe("redis://127.0.0.1:63799");
  });

  it("follows HOLDFAST_PG_PORT and HOLDFAST_REDIS_PORT when no URL is set (as scripts/services.sh does)", () => {
    const c = loadConfig({ HOLDFAST_PG_PORT: "54471", HOLDFAST_REDIS_PORT: "63871" });
    expect(c.DATABASE_URL).toBe("postgres://holdfast:holdfast@127.0.0.1:54471/holdfast");
    expect(c.REDIS_URL).toBe("redis://127.0.0.1:63871");
  });

  it("an explicit DATABASE_URL / REDIS_URL wins over the ports", () => {
    const c = loadConfig({
      HOLDFAST_PG_PORT: "54471", HOLDFAST_REDIS_PORT: "63871",
      DATABASE_URL: "postgres://u:p@db.example:5432/x", REDIS_URL: "redis://cache.example:6379",
    });
    expect(c.DATABASE_URL).toBe("postgres://u:p@db.example:5432/x");
    expect(c.REDIS_URL).toBe("redis://cache.example:6379");
  });
});
