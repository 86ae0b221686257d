/**
 * A Redis or PostgreSQL server of the test's own, on a free loopback port,
 * that the test may kill and restart (outage tests). Never the shared
 * servers of scripts/services.sh: those serve every other test file.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chownSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** redis-server in the foreground (no persistence: a restart loses every key, like a crash without AOF). */
export class PrivateRedis {
  private child: ChildProcess | null = null;
  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<PrivateRedis> {
    const r = new PrivateRedis(await freePort());
    await r.up();
    return r;
  }

  async up(): Promise<void> {
    if (this.child) return;
    this.child = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
      "--maxmemory-policy", "noeviction", "--dir", os.tmpdir()], { stdio: "ignore" });
    await until(`redis on ${this.port}`, async () => {
      const out = execFileSync("redis-cli", ["-p", String(this.port), "ping"], { encoding: "utf8", timeout: 2000, stdio: ["ignore", "pipe", "ignore"] });
      return out.trim() === "PONG";
    });
  }

  /** SIGKILL: connections drop at once, every key is gone. */
  async kill(): Promise<void> {
    const c = this.child;
    if (!c) return;
    this.child = null;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGKILL");
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
  }
}

const PG_BIN = "/usr/lib/postgresql/15/bin";
const asPostgres = (cmd: string, args: string[]) =>
  execFileSync("runuser", ["-u", "postgres", "--", path.join(PG_BIN, cmd), ...args], { cwd: "/", encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** A PostgreSQL cluster in a temp directory (initdb as `postgres`, trust auth on loopback). */
export class PrivatePostgres {
  private constructor(readonly port: number, readonly dir: string) {}

  /** URL of a database in this cluster (default `postgres`), as the `postgres` superuser. */
  url(db = "postgres"): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${db}`;
  }

  static async start(): Promise<PrivatePostgres> {
    const dir = mkdtempSync(path.join(os.tmpdir(), "hf-pg-"));
    chownSync(dir, uid("postgres"), gid("postgres"));
    asPostgres("initdb", ["-D", path.join(dir, "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"]);
    const pg = new PrivatePostgres(await freePort(), dir);
    await pg.up();
    return pg;
  }

  async up(): Promise<void> {
    asPostgres("pg_ctl", ["-D", path.join(this.dir, "data"), "-w", "-t", "60", "-l", path.join(this.dir, "pg.log"),
      "-o", `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c max_connections=100 -c fsync=off`, "start"]);
  }

  /** `pg_ctl stop -m immediate`: every session is cut, as in a crash. */
  async crash(): Promise<void> {
    asPostgres("pg_ctl", ["-D", path.join(this.dir, "data"), "-w", "-m", "immediate", "stop"]);
  }

  async createDatabase(name: string): Promise<string> {
    const c = new Client({ connectionString: this.url() });
    await c.connect();
    try {
      await c.query(`CREATE DATABASE ${name}`);
    } finally {
      await c.end();
    }
    return this.url(name);
  }

  async destroy(): Promise<void> {
    try {
      asPostgres("pg_ctl", ["-D", path.join(this.dir, "data"), "-w", "-m", "immediate", "stop"]);
    } catch {
      // already down
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function uid(user: string): number {
  return Number(execFileSync("id", ["-u", user], { encoding: "utf8" }).trim());
}
function gid(user: string): number {
  return Number(execFileSync("id", ["-g", user], { encoding: "utf8" }).trim());
}
