// csv-stats: { csv, delimiter?, columns? } → { rows, columns: [{ name, count, empty,
// distinct, numeric, min, max, mean, sum }] }. The first row is the header.
// A malformed CSV or an unknown column exits 1 (the user's input).
import { parse } from "csv-parse/sync";
import { readParameters } from "./stdin-json.mjs";

const { csv, delimiter = ",", columns: wanted } = await readParameters();
let records;
try {
  records = parse(csv, { delimiter, bom: true, skip_empty_lines: true, relax_quotes: false });
} catch (err) {
  process.stderr.write(`The CSV could not be parsed: ${err.message}\n`);
  process.exit(1);
}
if (records.length === 0) {
  process.stderr.write("The CSV has no header row.\n");
  process.exit(1);
}
const [header, ...rows] = records;
const names = wanted ?? header;
const missing = names.filter((n) => !header.includes(n));
if (missing.length) {
  process.stderr.write(`Unknown column(s): ${missing.join(", ")}. The header has: ${header.join(", ")}\n`);
  process.exit(1);
}
const MAX_DISTINCT = 10_000;
const stats = names.map((name) => {
  const i = header.indexOf(name);
  const s = { name, count: 0, empty: 0, distinct: 0, numeric: 0, min: null, max: null, mean: null, sum: null };
  const seen = new Set();
  let sum = 0;
  for (const r of rows) {
    const v = (r[i] ?? "").trim();
    s.count++;
    if (v === "") { s.empty++; continue; }
    if (seen.size < MAX_DISTINCT) seen.add(v);
    const n = Number(v);
    if (Number.isFinite(n)) {
      s.numeric++;
      sum += n;
      s.min = s.min === null ? n : Math.min(s.min, n);
      s.max = s.max === null ? n : Math.max(s.max, n);
    }
  }
  s.distinct = seen.size;
  if (s.numeric > 0) { s.sum = sum; s.mean = sum / s.numeric; }
  return s;
});
process.stdout.write(`${JSON.stringify({ rows: rows.length, columns: stats })}\n`);
