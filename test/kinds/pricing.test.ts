/** The pricing catalogue: one table, shown the same everywhere, and what estimates answer. */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPERATIONS } from "../../src/jobs/kinds/file/operations";
import { BUILTIN_SCRIPTS } from "../../src/jobs/kinds/script/registry";
import { aiHold, aiPrice, catalogueMarkdown, catalogueRows, FILE_OPERATIONS, filePrice, PRICES, scriptPrice } from "../../src/jobs/price-list";
import { type KindsPlatform, startKindsPlatform } from "./setup";

const ROOT = path.resolve(__dirname, "../..");

describe("the catalogue", () => {
  it("prices only scripts that are registered, and every file operation that exists", () => {
    const names = BUILTIN_SCRIPTS.map((s) => s.name);
    for (const priced of Object.keys(PRICES.script.perScript)) expect(names).toContain(priced);
    expect([...FILE_OPERATIONS].sort()).toEqual(Object.keys(OPERATIONS).sort());
  });

  it("rounds up per started unit and never goes below 1 credit", () => {
    expect(aiPrice({ input: 0, output: 0 })).toEqual({
      credits: 1, breakdown: [{ item: "0 characters sent", credits: 0 }, { item: "0 characters generated", credits: 0 }, { item: "minimum charge", credits: 1 }],
    });
    expect(aiPrice({ input: 100, output: 101 }).credits).toBe(1 + 4);
    expect(aiHold(1, 1).credits).toBe(1 + 2);
    expect(filePrice(0, "sha256").credits).toBe(1 + 1);
    expect(filePrice(1024 * 1024, "gzip").credits).toBe(1 + 2);
    expect(filePrice(1024 * 1024 + 1, "gzip").credits).toBe(2 + 2);
    expect(scriptPrice("wordcount").credits).toBe(PRICES.script.perRun);
    expect(scriptPrice("csv-stats").credits).toBe(PRICES.script.perScript["csv-stats"]);
  });

  it("renders one row per rule, and docs/kinds.md (and the README, once it has the markers) show it as it is", async () => {
    expect(catalogueRows().map((r) => r.kind)).toEqual(expect.arrayContaining(["script", "ai", "file"]));
    const table = catalogueMarkdown();
    for (const file of ["docs/kinds.md", "README.md"]) {
      const text = await readFile(path.join(ROOT, file), "utf8").catch(() => "");
      const m = /<!-- catalogue:start -->\n([\s\S]*?)\n<!-- catalogue:end -->/.exec(text);
      if (file === "docs/kinds.md") expect(m, "docs/kinds.md has the catalogue markers").not.toBeNull();
      if (m) expect(m[1], `${file} shows an outdated catalogue; paste catalogueMarkdown()`).toBe(table);
    }
  });
});

describe("over HTTP", () => {
  let p: KindsPlatform;
  beforeAll(async () => {
    p = await startKindsPlatform({ env: { AI_BASE_URL: "http://127.0.0.1:9/v1" }, worker: false });
  });
  afterAll(async () => {
    await p?.close();
  });

  it("POST /estimates returns the breakdown of each kind and holds nothing", async () => {
    const u = await p.user({ credits: 10 });
    const script = await p.api(u.key, "POST", "/api/v1/estimates", { kind: "script", input: { script: "csv-stats", parameters: { csv: "a\n1" } } });
    expect(script.body).toEqual({ kind: "script", credits: 8, credit_type: "standard", breakdown: [{ item: 'script "csv-stats" (per run)', credits: 8 }] });
    const ai = await p.api(u.key, "POST", "/api/v1/estimates", { kind: "ai", input: { prompt: "x".repeat(250), max_tokens: 50 } });
    expect(ai.body).toEqual({
      kind: "ai", credits: 3 + 6, credit_type: "standard",
      breakdown: [{ item: "250 characters sent", credits: 3 }, { item: "300 characters at most (max_tokens)", credits: 6 }],
    });
    expect(await p.balance(u.id)).toEqual({ available: 10, held: 0, posted: 10 });
  });

  it("GET /pricing serves the catalogue", async () => {
    const u = await p.user();
    const r = await p.api(u.key, "GET", "/api/v1/pricing");
    expect(r.body).toMatchObject({ min_job_credits: 1, bytes_per_mb: 1024 * 1024, ai_hold_chars_per_token: 6, rows: catalogueRows() });
  });

  it("an admin may override the price; anyone else gets 403", async () => {
    const admin = await p.user({ role: "admin", credits: 100 });
    const user = await p.user({ credits: 100 });
    const input = { script: "wordcount", parameters: { text: "x" } };
    const a = await p.api(admin.key, "POST", "/api/v1/jobs", { kind: "script", input, credit_amount: 2 });
    expect(a.status).toBe(202);
    expect(a.body.credits.estimated).toBe(2);
    const u = await p.api(user.key, "POST", "/api/v1/jobs", { kind: "script", input, credit_amount: 2 });
    expect(u.status).toBe(403);
  });

  it("the OpenAPI document shows the catalogue, the kinds' inputs and the new routes", async () => {
    const doc = (await p.api(null, "GET", "/openapi.json")).body;
    expect(doc.paths["/api/v1/pricing"].get.description).toContain(catalogueMarkdown().split("\n")[0]);
    for (const route of ["/api/v1/files", "/api/v1/files/{id}/content", "/api/v1/batches", "/api/v1/batches/{id}", "/api/v1/jobs/{id}/events"]) {
      expect(doc.paths[route], route).toBeDefined();
    }
    expect(doc.components.schemas.JobInput_script.properties).toHaveProperty("parameters");
    expect(doc.components.schemas.JobInput_file.properties.operation.enum).toEqual(FILE_OPERATIONS);
    expect(doc.components.schemas.JobInput_ai.properties).toHaveProperty("max_tokens");
  });
});
