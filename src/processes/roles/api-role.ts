/**
 * The API role: HTTP on PORT. It listens before PostgreSQL and Redis answer
 * (started `early`): while the process waits for them, /healthz says the
 * process is up, /readyz says what is missing (503), and every other route
 * answers 503 `unavailable` with Retry-After instead of refusing connections.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "../../api/app";
import { errorBody } from "../../api/error-handler";
import { createHttpServer } from "../../api/server";
import { servicesOf } from "../../api/services";
import { DEPENDENCY_RETRY_AFTER_SECONDS } from "../../lib/dependency-errors";
import { within } from "../../lib/deadline";
import type { RoleStarter } from "../run";

/** Paths served by the app itself while the process waits: they never need a dependency to answer. */
const OPS_PATHS = new Set(["/healthz", "/readyz"]);

export const apiRole: RoleStarter = {
  name: "api",
  early: true,
  // Each request holds a connection only for its few statements.
  poolSize: () => 20,
  async start(ctx, dependencies) {
    const app = createApp(ctx);
    const server: Server = createHttpServer(app);
    let serving = false;
    const starting = (req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(503, { "content-type": "application/json; charset=utf-8", "retry-after": String(DEPENDENCY_RETRY_AFTER_SECONDS) });
      res.end(JSON.stringify(errorBody("unavailable", "Holdfast is starting: it is waiting for its database and queue. Retry shortly.")));
    };
    // Express's handler (with the server's request prototypes) once ready; until then only the ops paths reach it.
    server.removeAllListeners("request");
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      if (serving || OPS_PATHS.has((req.url ?? "").split("?")[0]!)) app(req, res);
      else starting(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(ctx.config.PORT, () => resolve());
    });
    ctx.logger.info({ port: (server.address() as AddressInfo).port }, "API listening");
    try {
      await dependencies;
    } catch (err) {
      server.close();
      server.closeAllConnections();
      throw err;
    }
    serving = true;
    return {
      name: "api",
      async close(timeoutMs) {
        // Stop accepting, let in-flight requests finish (bounded), then cut the rest.
        const closed = new Promise<void>((r) => server.close(() => r()));
        server.closeIdleConnections();
        if ((await within(closed, Math.min(timeoutMs, 10_000), "timeout")) === "timeout") server.closeAllConnections();
        await closed;
        // Jobs answered 202 whose hand-off to the queue is still under way (src/jobs/admission.ts): let them arrive.
        await servicesOf(app)?.admission.drain(Math.min(timeoutMs, 5_000));
      },
    };
  },
};
