/**
 * createHttpServer: Node builds each request and response with the app's
 * prototypes, so Express's per-request setPrototypeOf changes nothing — and
 * the objects still behave as Node's and Express's own.
 */
import { IncomingMessage, type Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpServer } from "../../src/api/server";

const app = express();
app.use(express.json());
app.post("/echo", (req, res) => {
  res.status(201).set("x-seen", req.get("x-probe") ?? "").json({ body: req.body as unknown, path: req.path, ip: req.ip, sameApp: req.app === app && res.app === app });
});
app.get("/stream", (_req, res) => {
  res.type("text/plain");
  res.write("a");
  res.end("b");
});

let server: Server;
let url: string;
const protos: { req: boolean; res: boolean }[] = [];

beforeAll(async () => {
  server = createHttpServer(app);
  // Runs before Express's own listener: what Node created, before Express touched it.
  server.prependListener("request", (req: IncomingMessage, res) => {
    protos.push({ req: Object.getPrototypeOf(req) === app.request, res: Object.getPrototypeOf(res) === app.response });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe("createHttpServer", () => {
  it("creates requests and responses with the app's prototypes, which inherit from Node's", async () => {
    protos.length = 0;
    const res = await fetch(`${url}/echo`, {
      method: "POST", headers: { "content-type": "application/json", "x-probe": "p1" }, body: JSON.stringify({ a: 1 }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-seen")).toBe("p1");
    expect(await res.json()).toEqual({ body: { a: 1 }, path: "/echo", ip: "127.0.0.1", sameApp: true });
    expect(protos).toEqual([{ req: true, res: true }]);
    expect(app.request).toBeInstanceOf(IncomingMessage);
    expect(app.response).toBeInstanceOf(ServerResponse);
  });

  it("serves many requests on kept-alive connections, streamed and JSON, without mixing them up", async () => {
    const replies = await Promise.all(Array.from({ length: 50 }, async (_, i) => {
      if (i % 2) return (await fetch(`${url}/stream`)).text();
      const r = await fetch(`${url}/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ i }) });
      return ((await r.json()) as { body: { i: number } }).body.i;
    }));
    replies.forEach((r, i) => expect(r).toBe(i % 2 ? "ab" : i));
  });
});
