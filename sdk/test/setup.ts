/**
 * A real Holdfast for the SDK's tests (API + worker in-process, built-in
 * kinds plus the `test` kind), and a loopback proxy in front of it that can
 * drop a response or answer 429/503 first, to test retries.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { builtinKinds } from "../../src/jobs/builtin.js";
import { testKind } from "../../test/helpers/kinds.js";
import { type KindsPlatform, startKindsPlatform } from "../../test/kinds/setup.js";

export type { KindsPlatform };

export function startSdkPlatform(): Promise<KindsPlatform> {
  return startKindsPlatform({ env: { RATE_LIMIT_PER_MINUTE: "0" }, kinds: (config) => builtinKinds(config).register(testKind) });
}

/** What the proxy does with the next request that `match`es (once each). */
export type Fault = { match: (req: http.IncomingMessage) => boolean; action: "drop-response" | { status: number; retryAfter?: string; details?: Record<string, unknown> } };

export interface Proxy {
  url: string;
  faults: Fault[];
  /** Requests seen, with their Idempotency-Key. */
  seen: { method: string; url: string; idempotencyKey: string | undefined; at: number }[];
  close(): Promise<void>;
}

export async function startProxy(target: string): Promise<Proxy> {
  const faults: Fault[] = [];
  const seen: Proxy["seen"] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, idempotencyKey: req.headers["idempotency-key"] as string | undefined, at: Date.now() });
    const i = faults.findIndex((f) => f.match(req));
    const fault = i >= 0 ? faults.splice(i, 1)[0] : undefined;
    if (fault && fault.action !== "drop-response") {
      req.resume();
      res.writeHead(fault.action.status, { "content-type": "application/json", ...(fault.action.retryAfter ? { "retry-after": fault.action.retryAfter } : {}) });
      res.end(JSON.stringify({ error: { code: fault.action.status === 429 ? "rate_limited" : "unavailable", message: "try later", details: fault.action.details ?? {} } }));
      return;
    }
    const up = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (upRes) => {
      if (fault?.action === "drop-response") {
        // The server did the work; the client never hears about it.
        upRes.resume();
        upRes.on("end", () => req.socket.destroy());
        return;
      }
      res.writeHead(upRes.statusCode!, upRes.headers);
      upRes.pipe(res);
    });
    up.on("error", () => req.socket.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    faults,
    seen,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
