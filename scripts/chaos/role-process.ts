/**
 * A Holdfast role as a child process of the chaos run (logs in files of the
 * run's directory), which the run can SIGKILL and start again.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const ENTRY = path.join(__dirname, "process.ts");

export type RoleName = "api" | "worker" | "scheduler";

/** One Holdfast role process; `restart()` starts a fresh one under the same name. */
export class RoleProcess {
  private child: ChildProcess | null = null;
  private log: WriteStream | null = null;
  private tail = "";
  private readyNow = false;
  private readyAt = 0;
  private generation = 0;
  exited: Promise<void> = Promise.resolve();

  constructor(readonly role: RoleName, readonly label: string, private readonly env: Record<string, string>, private readonly dir: string) {}

  get ready(): boolean {
    return this.readyNow;
  }

  /** Milliseconds since it became ready (0 while starting). */
  get readyForMs(): number {
    return this.readyNow ? Date.now() - this.readyAt : 0;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    this.generation++;
    this.readyNow = false;
    this.tail = "";
    this.log = createWriteStream(path.join(this.dir, `${this.label}.${this.generation}.log`));
    const child = spawn(process.execPath, ["--import", "tsx", ENTRY, this.role], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...this.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    const log = this.log;
    const onData = (chunk: Buffer) => {
      log.write(chunk);
      if (this.readyNow || this.child !== child) return;
      this.tail = (this.tail + chunk.toString()).slice(-4096);
      if (this.tail.includes(`holdfast chaos-${this.role} ready`)) {
        this.readyNow = true;
        this.readyAt = Date.now();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    this.exited = new Promise((resolve) => {
      child.once("exit", () => {
        if (this.child === child) this.readyNow = false;
        log.end();
        resolve();
      });
    });
  }

  /** Is the process running (started, not exited)? */
  get alive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.readyNow) {
      if (!this.alive) throw new Error(`${this.label} exited before it was ready (see ${this.dir}/${this.label}.${this.generation}.log)`);
      if (Date.now() > deadline) throw new Error(`${this.label} not ready after ${timeoutMs} ms (see ${this.dir}/${this.label}.${this.generation}.log)`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGKILL and wait for the exit. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    this.child!.kill("SIGKILL");
    await this.exited;
  }

  /** SIGTERM (graceful), SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.alive) return;
    this.child!.kill("SIGTERM");
    const timer = setTimeout(() => this.child?.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
