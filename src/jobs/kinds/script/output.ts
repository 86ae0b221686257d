/**
 * Bounded handling of a script's output: memory stays flat however much a
 * script prints (the 50 MB test), because only the first `limit` bytes are
 * kept and the progress filter holds back at most one short line.
 */

/** Keeps the first `limit` bytes; counts the rest. */
export class CappedOutput {
  private readonly parts: Buffer[] = [];
  kept = 0;
  dropped = 0;

  constructor(readonly limit: number) {}

  push(buf: Buffer): void {
    const room = this.limit - this.kept;
    if (room > 0) {
      // Copy: a view would pin the whole (up to 64 KiB) pipe chunk it came from.
      const take = Buffer.from(buf.subarray(0, Math.min(room, buf.length)));
      this.parts.push(take);
      this.kept += take.length;
    }
    this.dropped += Math.max(0, buf.length - Math.max(0, room));
  }

  get truncated(): boolean {
    return this.dropped > 0;
  }

  /** The kept text, with a marker saying how much was dropped. NUL is replaced (PostgreSQL's jsonb refuses it). */
  text(): string {
    const s = Buffer.concat(this.parts).toString("utf8").replaceAll("\u0000", "\uFFFD");
    return this.truncated ? `${s}\n…[output truncated: ${this.dropped} more bytes were not kept]` : s;
  }
}

const MARK = "PROGRESS ";
const NL_P = Buffer.from("\nP");
/** Longest line that can still be a progress line ("PROGRESS 100.000\r"). */
const MAX_PROGRESS_LINE = 32;
const PROGRESS_RE = /^PROGRESS (\d{1,3}(?:\.\d+)?)\r?$/;

/** The percentage of a complete `PROGRESS <0-100>` line, or null. */
export function parseProgressLine(line: string): number | null {
  const m = PROGRESS_RE.exec(line);
  if (!m) return null;
  const n = Number(m[1]);
  return n >= 0 && n <= 100 ? n : null;
}

function couldBecomeProgress(partial: Buffer): boolean {
  if (partial.length > MAX_PROGRESS_LINE) return false;
  const s = partial.toString("latin1");
  if (s.length <= MARK.length) return MARK.startsWith(s);
  return s.startsWith(MARK) && /^[0-9.]*\r?$/.test(s.slice(MARK.length));
}

/**
 * Splits a script's stdout into progress lines (`PROGRESS 40` on a line of
 * its own, 0–100) and everything else, without ever buffering a whole line:
 * it only looks at lines that start with "P", and holds back at most
 * MAX_PROGRESS_LINE bytes across chunk boundaries.
 */
export class ProgressLineFilter {
  private carry: Buffer = Buffer.alloc(0);
  private atLineStart = true;

  constructor(
    private readonly emit: (b: Buffer) => void,
    private readonly onProgress: (percent: number) => void,
  ) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const data = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = Buffer.alloc(0);
    const next = (from: number) => {
      const j = data.indexOf(NL_P, from);
      return j === -1 ? -1 : j + 1;
    };
    let emitFrom = 0;
    let ls = this.atLineStart && data[0] === 0x50 ? 0 : next(0);
    while (ls !== -1) {
      const nl = data.indexOf(0x0a, ls);
      if (nl === -1) {
        const tail = data.subarray(ls);
        if (couldBecomeProgress(tail)) {
          if (ls > emitFrom) this.emit(data.subarray(emitFrom, ls));
          this.carry = Buffer.from(tail);
          this.atLineStart = true;
          return;
        }
        break;
      }
      const p = parseProgressLine(data.subarray(ls, nl).toString("latin1"));
      if (p !== null) {
        if (ls > emitFrom) this.emit(data.subarray(emitFrom, ls));
        emitFrom = nl + 1;
        this.onProgress(p);
      }
      ls = next(nl);
    }
    if (emitFrom < data.length) this.emit(data.subarray(emitFrom));
    this.atLineStart = data[data.length - 1] === 0x0a;
  }

  /** The stream ended: a held-back last line without a newline is judged now. */
  end(): void {
    if (this.carry.length === 0) return;
    const p = parseProgressLine(this.carry.toString("latin1"));
    if (p !== null) this.onProgress(p);
    else this.emit(this.carry);
    this.carry = Buffer.alloc(0);
  }
}
