/** The API role: HTTP on PORT. */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "../../api/app";
import { createHttpServer } from "../../api/server";
import type { RoleStarter } from "../run";

export const apiRole: RoleStarter = {
  name: "api",
  // Each request holds a connection only for its few statements.
  poolSize: () => 20,
  async start(ctx) {
    const app = createApp(ctx);
    const server: Server = await new Promise((resolve, reject) => {
      const s = createHttpServer(app).listen(ctx.config.PORT, () => resolve(s));
      s.once("error", reject);
    });
    ctx.logger.info({ port: (server.address() as AddressInfo).port }, "API listening");
    return {
      name: "api",
      async close(timeoutMs) {
        // Stop accepting, let in-flight requests finish (bounded), then cut the rest.
        const closed = new Promise<void>((r) => server.close(() => r()));
        server.closeIdleConnections();
        const timer = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), Math.min(timeoutMs, 10_000)).unref());
        if ((await Promise.race([closed, timer])) === "timeout") server.closeAllConnections();
        await closed;
      },
    };
  },
};
