/**
 * One Holdfast process: load the configuration, build the context, wait for
 * PostgreSQL and Redis (retrying with backoff, logged: a process started
 * before its dependencies waits for them instead of exiting), apply pending
 * migrations, make sure the ADMIN_API_KEY admin exists, start its roles (API,
 * worker, scheduler — any mix), and stop them gracefully on SIGTERM/SIGINT
 * within a bounded time. Once started, each connection recovers on its own
 * (the pg pool makes new connections, ioredis and BullMQ reconnect).
 *
 * Shutdown order: the API stops taking requests first (no new jobs), then
 * the worker finishes what it runs (up to SHUTDOWN_TIMEOUT_MS, then aborts:
 * those jobs go back to the queue and run elsewhere), then the scheduler,
 * then connections close. A second signal, or the hard deadline, exits at
 * once — a crash is survivable by design, it only delays work.
 */
import { loadConfig, type Config } from "../config";
import { type AppContext, closeContext, createContext, waitForDependencies } from "../context";
import { builtinKinds, builtinServices } from "../jobs/builtin";
import type { KindRegistry, KindServices } from "../jobs/kind";
import { lowerPriority } from "../lib/priority";
import { ensureBootstrapAdmin } from "../users/bootstrap";
import { migrateOnOwnConnection } from "./migrate";

/** A started role: stops within the given time. */
export interface Role {
  name: string;
  close(timeoutMs: number): Promise<void>;
}

export interface RoleStarter {
  name: string;
  /** DB connections this role wants from the process's pool. */
  poolSize(config: Config): number;
  /**
   * Start the role. A role marked `early` is started before PostgreSQL and
   * Redis answer and is handed the promise of them (the API listens at once,
   * so /healthz and /readyz answer while the process waits); the others are
   * started once that promise has resolved.
   */
  start(ctx: AppContext, dependencies: Promise<void>): Promise<Role>;
  early?: boolean;
  /** CPU priority this role would run at; a process lowers its own only when every role it runs asks for it. */
  nice?(config: Config): number;
}

export interface ProcessOptions {
  /** Kinds other than the built-in ones (tests, the benchmark). */
  kinds?: (config: Config) => KindRegistry;
  services?: (config: Config, ctx: AppContext) => KindServices;
  /** Grace added to SHUTDOWN_TIMEOUT_MS before the process exits regardless (default 5000 ms). */
  hardExitGraceMs?: number;
  /** Gives up waiting for PostgreSQL and Redis at start-up. */
  signal?: AbortSignal;
}

export interface RunningProcess {
  ctx: AppContext;
  roles: Role[];
  /** Graceful stop (what SIGTERM does), without exiting the process. */
  stop(): Promise<void>;
}

export async function startProcess(name: string, starters: RoleStarter[], opts: ProcessOptions = {}): Promise<RunningProcess> {
  const config = loadConfig();
  const kinds = opts.kinds ? opts.kinds(config) : builtinKinds(config);
  const nice = starters.every((s) => s.nice) ? Math.min(...starters.map((s) => s.nice!(config))) : 0;
  const poolSize = starters.reduce((n, s) => n + s.poolSize(config), 0);
  // Not connected yet: a process started while PostgreSQL or Redis is down waits for them (below).
  const ctx = await createContext(config, { kinds, name: `holdfast-${name}`, poolSize, connect: false });
  Object.assign(ctx.services, opts.services ? opts.services(config, ctx) : builtinServices(config, ctx.ds));
  const lowered = lowerPriority(nice);
  if (!lowered.ok) ctx.logger.warn({ nice, err: lowered.error }, "could not lower the process's CPU priority");
  const dependencies = waitForDependencies(ctx, async () => {
    await migrateOnOwnConnection(config.DATABASE_URL, ctx.logger);
    // The ADMIN_API_KEY user, whichever process starts first (idempotent, concurrent-safe).
    await ensureBootstrapAdmin(ctx);
  }, { signal: opts.signal });
  dependencies.catch(() => undefined); // awaited below; an early role may see it first

  const roles: Role[] = [];
  try {
    for (const s of starters.filter((x) => x.early)) roles.push(await s.start(ctx, dependencies));
    await dependencies;
    for (const s of starters.filter((x) => !x.early)) roles.push(await s.start(ctx, dependencies));
  } catch (err) {
    await Promise.allSettled(roles.map((r) => r.close(0)));
    await closeContext(ctx);
    throw err;
  }

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      const deadline = Date.now() + config.SHUTDOWN_TIMEOUT_MS;
      for (const r of roles) {
        try {
          await r.close(Math.max(0, deadline - Date.now()));
        } catch (err) {
          ctx.logger.error({ err, role: r.name }, "role did not close cleanly");
        }
      }
      await closeContext(ctx);
    })();
    return stopping;
  };
  return { ctx, roles, stop };
}

/**
 * Entry point of a process: start, log readiness (and tell PM2, which waits
 * for "ready" with wait_ready), stop on SIGTERM/SIGINT, exit.
 */
export function runProcess(name: string, starters: RoleStarter[], opts: ProcessOptions = {}): void {
  let running: RunningProcess | null = null;
  let signalled = false;

  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      // Second Ctrl-C: the operator does not want to wait.
      process.exit(130);
    }
    signalled = true;
    // Still starting: nothing has been handed out yet that a crash would not recover.
    if (!running) process.exit(0);
    const p = running;
    const graceMs = p.ctx.config.SHUTDOWN_TIMEOUT_MS + (opts.hardExitGraceMs ?? 5000);
    p.ctx.logger.info({ signal, timeoutMs: p.ctx.config.SHUTDOWN_TIMEOUT_MS }, "shutting down");
    setTimeout(() => {
      p.ctx.logger.error({ graceMs }, "shutdown did not finish in time; exiting");
      process.exit(1);
    }, graceMs).unref();
    p.stop().then(
      () => {
        p.ctx.logger.info("stopped");
        process.exit(0);
      },
      (err: unknown) => {
        p.ctx.logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);

  startProcess(name, starters, opts).then(
    (p) => {
      running = p;
      p.ctx.logger.info({ roles: p.roles.map((r) => r.name) }, `holdfast ${name} ready`);
      process.send?.("ready");
    },
    (err: unknown) => {
      // Logged plainly: the logger may not exist yet (a bad variable stops loadConfig).
      console.error(`holdfast ${name} could not start: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
