/** The script output plumbing on its own: progress lines split at any byte, caps, markers. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CappedOutput, parseProgressLine, ProgressLineFilter } from "../../src/jobs/kinds/script/output";

function runFilter(text: string, cuts: number[]): { out: string; progress: number[] } {
  const bytes = Buffer.from(text, "utf8");
  const parts: Buffer[] = [];
  const progress: number[] = [];
  const f = new ProgressLineFilter((b) => parts.push(Buffer.from(b)), (p) => progress.push(p));
  let at = 0;
  for (const c of [...new Set(cuts.map((x) => x % (bytes.length + 1)))].sort((a, b) => a - b)) {
    f.push(bytes.subarray(at, c));
    at = c;
  }
  f.push(bytes.subarray(at));
  f.end();
  return { out: Buffer.concat(parts).toString("utf8"), progress };
}

/** The reference: what the filter must do, written the obvious (whole-text) way. */
function reference(text: string): { out: string; progress: number[] } {
  const lines = text.split("\n");
  const progress: number[] = [];
  const kept: string[] = [];
  lines.forEach((line, i) => {
    const last = i === lines.length - 1;
    const p = parseProgressLine(line);
    if (p !== null && !(last && line === "")) progress.push(p);
    else kept.push(last ? line : `${line}\n`);
  });
  return { out: kept.join(""), progress };
}

describe("ProgressLineFilter", () => {
  it("removes progress lines and keeps everything else, however the bytes are split", () => {
    const line = fc.oneof(
      fc.constantFrom("PROGRESS 0", "PROGRESS 40", "PROGRESS 100", "PROGRESS 12.5", "PROGRESS 40\r", "PROGRESS 101", "PROGRESS", "PROGRESSIVE 5", "PROG", " PROGRESS 5", "P", ""),
      fc.string({ maxLength: 40 }),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 8 }), (lines, trailingNewline, cuts) => {
        const text = lines.join("\n") + (trailingNewline && lines.length ? "\n" : "");
        expect(runFilter(text, cuts)).toEqual(reference(text));
      }),
      { numRuns: 2000 },
    );
  });

  it("reports progress values and drops the lines", () => {
    expect(runFilter("a\nPROGRESS 10\nb\nPROGRESS 100\n", [3, 7, 14])).toEqual({ out: "a\nb\n", progress: [10, 100] });
  });
});

describe("CappedOutput", () => {
  it("keeps the first bytes, counts the rest and marks the truncation", () => {
    const c = new CappedOutput(10);
    c.push(Buffer.from("0123456"));
    c.push(Buffer.from("789abcdef"));
    expect(c.kept).toBe(10);
    expect(c.dropped).toBe(6);
    expect(c.text()).toBe("0123456789\n…[output truncated: 6 more bytes were not kept]");
  });

  it("replaces NUL, which PostgreSQL's jsonb cannot store", () => {
    const c = new CappedOutput(100);
    c.push(Buffer.from("a\u0000b"));
    expect(c.text()).toBe("a\uFFFDb");
  });
});
