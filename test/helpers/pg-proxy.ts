/**
 * A loopback TCP proxy in front of PostgreSQL that a test can take down and
 * bring back, for one process's view of the database: `down()` cuts every
 * connection through it and stops listening, so new ones are refused
 * (ECONNREFUSED, as when PostgreSQL is stopped); `up()` listens again on the
 * same port. Everything else (the test's own checks, the API) can keep a
 * direct connection.
 */
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";

export class PgProxy {
  private readonly sockets = new Set<Socket>();
  private server: Server;
  private listening = false;
  /** A lost answer to stage (loseAnswer). */
  private armed: { marker: Buffer; afterMs: number; done: () => void } | null = null;
  /** Connections made through the proxy so far. */
  connections = 0;

  private constructor(private readonly target: { host: string; port: number }, readonly url: string, readonly port: number, server: Server) {
    this.server = server;
    this.listening = true;
  }

  /** A proxy to the database of `databaseUrl`; its `url` is the same database through the proxy. */
  static async start(databaseUrl: string): Promise<PgProxy> {
    const direct = new URL(databaseUrl);
    const target = { host: direct.hostname, port: Number(direct.port || 5432) };
    // eslint-disable-next-line prefer-const -- assigned once the server listens; connections arrive only after that
    let proxy!: PgProxy;
    const server = createServer((client) => proxy.pipe(client));
    await listen(server, 0);
    const port = (server.address() as AddressInfo).port;
    const via = new URL(databaseUrl);
    via.hostname = "127.0.0.1";
    via.port = String(port);
    proxy = new PgProxy(target, via.toString(), port, server);
    return proxy;
  }

  /**
   * Arm a lost answer: the next statement whose message contains `marker`
   * (a named statement's name, sent in its Parse and Bind) reaches the
   * server, which runs and commits it, but its answer is swallowed and,
   * `afterMs` later, the proxy goes down. Resolves once it is down.
   */
  loseAnswer(marker: string, afterMs = 300): Promise<void> {
    return new Promise((resolve) => {
      this.armed = { marker: Buffer.from(marker), afterMs, done: resolve };
    });
  }

  /** PostgreSQL "goes away": open connections are cut, new ones refused. */
  async down(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  /** PostgreSQL is back: connections are accepted again on the same port. */
  async up(): Promise<void> {
    if (this.listening) return;
    this.server = createServer((client) => this.pipe(client));
    await listen(this.server, this.port);
    this.listening = true;
  }

  async close(): Promise<void> {
    await this.down();
  }

  private pipe(client: Socket): void {
    this.connections++;
    const upstream = connect(this.target.port, this.target.host);
    this.sockets.add(client).add(upstream);
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    let swallowing = false;
    client.on("data", (chunk: Buffer) => {
      const armed = this.armed;
      if (armed && chunk.includes(armed.marker)) {
        this.armed = null;
        swallowing = true;
        setTimeout(() => void this.down().then(armed.done), armed.afterMs);
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!swallowing) client.write(chunk);
    });
    for (const s of [client, upstream]) {
      s.on("error", cut);
      s.on("close", () => {
        this.sockets.delete(s);
        cut();
      });
    }
  }
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
}
