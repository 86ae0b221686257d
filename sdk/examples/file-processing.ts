/**
 * File processing at 1 credit per started MB: the hold covers the file's
 * size, and creditAware charges each MB as it is actually read (a file cut
 * short costs less). Here the "processing" is a SHA-256 of the bytes.
 *
 *   HOLDFAST_API_KEY=hf_… npx tsx sdk/examples/file-processing.ts ./some-file
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { creditAware } from "../src/index.js";
import { clientFromEnv } from "./client.js";

const MB = 1024 * 1024;
const hf = clientFromEnv();
const path = process.argv[2] ?? new URL(import.meta.url).pathname;
const maxCredits = Math.max(1, Math.ceil((await stat(path)).size / MB));

const sha256 = creditAware(hf, { maxCredits, description: `sha256 of ${path}` }, async (meter, file: string) => {
  const hash = createHash("sha256");
  let read = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    const startedMb = Math.ceil((read + (chunk as Buffer).length) / MB);
    if (startedMb > Math.ceil(read / MB)) meter.use(startedMb - Math.ceil(read / MB));
    read += (chunk as Buffer).length;
  }
  if (read === 0) meter.use(1); // an empty file still costs the minimum
  return hash.digest("hex");
});

console.log(`${await sha256(path)}  ${path}`);
console.log(`balance: ${(await hf.credits.balance()).available} credits`);
