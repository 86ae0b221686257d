/**
 * The credit wrappers and holdfastMeter against a real platform: charge on
 * success, release on a system error, charge on a marked user error,
 * partial capture by creditAware, 402 → InsufficientCreditsError, the batch
 * form all or nothing, and the middleware on a small Express app.
 */
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  consumeCredits, consumeCreditsBatch, creditAware, type Hold, HoldfastClient, holdfastMeter, InsufficientCreditsError, requireCredits,
} from "../src/index.js";
import { type KindsPlatform, startSdkPlatform } from "./setup.js";

let p: KindsPlatform;
beforeAll(async () => {
  p = await startSdkPlatform();
});
afterAll(async () => {
  await p?.close();
});

async function clientFor(credits: number) {
  const u = await p.user({ credits });
  return { u, hf: new HoldfastClient({ baseUrl: p.url, apiKey: u.key }) };
}

const holdsOf = async (hf: HoldfastClient) => {
  const out: Hold[] = [];
  for await (const h of hf.holds.list()) out.push(h);
  return out;
};

class UserMistake extends Error {}

describe("consumeCredits", () => {
  it("charges the cost on success, with dynamic costs from the arguments", async () => {
    const { hf } = await clientFor(100);
    const chat = consumeCredits(hf, { credits: (text: string) => Math.max(1, Math.ceil(text.length / 100)), description: "chat" }, async (text: string) => text.toUpperCase());
    expect(await chat("x".repeat(250))).toBe("X".repeat(250));
    expect(await hf.credits.balance()).toMatchObject({ available: 97, held: 0 });
    const [h] = await holdsOf(hf);
    expect(h).toMatchObject({ status: "captured", credits: { held: 3, captured: 3 }, description: "chat" });
  });

  it("releases everything on a system error, charges on a marked user error, rethrows both", async () => {
    const { hf } = await clientFor(100);
    const work = consumeCredits(hf, { credits: 10, description: "work", chargeOnError: (e) => e instanceof UserMistake }, async (kind: "system" | "user") => {
      throw kind === "user" ? new UserMistake("bad input") : new Error("database down");
    });
    await expect(work("system")).rejects.toThrow("database down");
    expect(await hf.credits.balance()).toMatchObject({ available: 100, held: 0 });
    await expect(work("user")).rejects.toBeInstanceOf(UserMistake);
    expect(await hf.credits.balance()).toMatchObject({ available: 90, held: 0 });
    expect((await holdsOf(hf)).map((h) => h.status)).toEqual(["captured", "released"]);
  });

  it("short → InsufficientCreditsError and the function never runs", async () => {
    const { hf } = await clientFor(5);
    let ran = false;
    const f = consumeCredits(hf, { credits: 6, description: "big" }, () => { ran = true; });
    const err = await f().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsufficientCreditsError);
    expect(err).toMatchObject({ required: 6, available: 5, creditType: "standard" });
    expect(ran).toBe(false);
  });

  it("the batch form holds the total at once: all or nothing, then charges what succeeded", async () => {
    const { hf } = await clientFor(20);
    let runs = 0;
    const process = consumeCreditsBatch(hf, { credits: (n: number) => n, description: "batch" }, async (n: number) => {
      runs++;
      if (n === 4) throw new Error("system failure on item 4");
      return n * 2;
    });
    const short = await process([10, 11]).catch((e: unknown) => e);
    expect(short).toBeInstanceOf(InsufficientCreditsError);
    expect(runs).toBe(0);
    const results = await consumeCredits.batch(hf, { credits: (n: number) => n, description: "batch" }, async (n: number) => {
      runs++;
      if (n === 4) throw new Error("system failure on item 4");
      return n * 2;
    })([3, 4, 5]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(await hf.credits.balance()).toMatchObject({ available: 12, held: 0 });
    const [h] = await holdsOf(hf);
    expect(h).toMatchObject({ credits: { held: 12, captured: 8, released: 4 } });
  });
});

describe("requireCredits", () => {
  it("runs when affordable and charges nothing; short → InsufficientCreditsError before running", async () => {
    const { hf } = await clientFor(10);
    let runs = 0;
    const gated = requireCredits(hf, { credits: (n: number) => n }, (n: number) => { runs++; return n; });
    expect(await gated(10)).toBe(10);
    const err = await gated(11).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsufficientCreditsError);
    expect(err).toMatchObject({ required: 11, available: 10 });
    expect(runs).toBe(1);
    expect(await hf.credits.balance()).toMatchObject({ available: 10, posted: 10, held: 0 });
  });
});

describe("creditAware", () => {
  it("holds maxCredits and captures only what meter.use reported", async () => {
    const { hf } = await clientFor(100);
    const summarise = creditAware(hf, { maxCredits: 20, description: "summarise" }, async (meter, text: string) => {
      for (let i = 0; i < text.length; i += 100) meter.use(1);
      return { used: meter.used, remaining: meter.remaining };
    });
    expect(await summarise("y".repeat(450))).toEqual({ used: 5, remaining: 15 });
    expect(await hf.credits.balance()).toMatchObject({ available: 95, held: 0 });
    expect((await holdsOf(hf))[0]).toMatchObject({ status: "captured", credits: { held: 20, captured: 5, released: 15 } });
    // Nothing used: released.
    await creditAware(hf, { maxCredits: 5, description: "noop" }, () => "none")();
    expect((await holdsOf(hf))[0]).toMatchObject({ status: "released" });
  });

  it("meter.use past the hold throws InsufficientCreditsError; what was used is charged", async () => {
    const { hf } = await clientFor(100);
    const greedy = creditAware(hf, { maxCredits: 3, description: "greedy" }, (meter) => {
      meter.use(2);
      meter.use(2);
    });
    const err = await greedy().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsufficientCreditsError);
    expect(err).toMatchObject({ required: 4, available: 3 });
    expect(await hf.credits.balance()).toMatchObject({ available: 98, held: 0 });
  });

  it("a system error releases all; a marked user error charges what was used", async () => {
    const { hf } = await clientFor(100);
    const f = creditAware(hf, { maxCredits: 10, description: "x", chargeOnError: (e) => e instanceof UserMistake }, (meter, user: boolean) => {
      meter.use(4);
      throw user ? new UserMistake("nope") : new Error("crash");
    });
    await expect(f(false)).rejects.toThrow("crash");
    expect(await hf.credits.balance()).toMatchObject({ available: 100, held: 0 });
    await expect(f(true)).rejects.toThrow("nope");
    expect(await hf.credits.balance()).toMatchObject({ available: 96, held: 0 });
    await expect(creditAware(hf, { maxCredits: 1000, description: "too big" }, () => 1)()).rejects.toBeInstanceOf(InsufficientCreditsError);
  });
});

describe("holdfastMeter", () => {
  let server: Server;
  let url: string;
  let svcHf: HoldfastClient;
  const settled: string[] = [];
  beforeAll(async () => {
    const svc = await p.user({ role: "service" });
    svcHf = new HoldfastClient({ baseUrl: p.url, apiKey: svc.key });
    const app = express();
    const meter = holdfastMeter<express.Request, express.Response>(svcHf, {
      credits: (req) => Number(req.query.cost ?? 2),
      userId: (req) => String(req.headers["x-user"]),
      onSettleError: (err) => settled.push(String(err)),
    });
    app.get("/ok", meter, (_req, res) => { res.json({ ok: true }); });
    app.get("/bad", meter, (_req, res) => { res.status(400).json({ error: "your fault" }); });
    app.get("/boom", meter, () => { throw new Error("handler crashed"); });
    app.get("/hang", meter, () => { /* never answers: the client goes away */ });
    app.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => { res.status(500).json({ error: "internal" }); });
    server = await new Promise<Server>((r) => { const s = app.listen(0, "127.0.0.1", () => r(s)); });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  });

  const waitSettled = async (hf: HoldfastClient) => {
    for (let i = 0; i < 100; i++) {
      if ((await hf.credits.balance()).held === 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("hold never settled");
  };

  it("captures on 2xx, releases on 4xx and 5xx and on a closed connection; 402 with the API's body when short", async () => {
    const { u, hf } = await clientFor(10);
    const get = (path: string) => fetch(`${url}${path}`, { headers: { "x-user": u.id } });
    expect((await get("/ok?cost=3")).status).toBe(200);
    await waitSettled(hf);
    expect((await hf.credits.balance()).available).toBe(7);
    expect((await get("/bad")).status).toBe(400);
    await waitSettled(hf);
    expect((await get("/boom")).status).toBe(500);
    await waitSettled(hf);
    expect((await hf.credits.balance()).available).toBe(7);

    const ac = new AbortController();
    const hang = get("/hang").catch(() => null);
    void fetch(`${url}/hang?cost=1`, { headers: { "x-user": u.id }, signal: ac.signal }).catch(() => null);
    for (let i = 0; i < 100 && (await hf.credits.balance()).held < 3; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await hf.credits.balance()).held).toBe(3);
    ac.abort();
    server.closeAllConnections();
    await hang;
    await waitSettled(hf);
    expect(await hf.credits.balance()).toMatchObject({ available: 7, held: 0 });

    const short = await get("/ok?cost=8");
    expect(short.status).toBe(402);
    expect(await short.json()).toEqual({ error: { code: "insufficient_credits", message: expect.any(String), details: { required: 8, available: 7, credit_type: "standard" } } });
    expect((await holdsOf(hf)).map((h) => h.status)).toEqual(["released", "released", "released", "released", "captured"]);
    expect(settled).toEqual([]);
  });
});
