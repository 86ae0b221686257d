// sleep: { seconds } (0–60) → { slept }. Prints a PROGRESS line every second,
// so it shows long work, progress and cancel in the demo.
import { readParameters } from "./stdin-json.mjs";

const { seconds = 1 } = await readParameters();
for (let s = 1; s <= seconds; s++) {
  await new Promise((r) => setTimeout(r, 1000));
  process.stdout.write(`PROGRESS ${Math.floor((s / seconds) * 100)}\n`);
}
process.stdout.write(`${JSON.stringify({ slept: seconds })}\n`);
