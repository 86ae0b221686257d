/**
 * A batch, all or nothing: the total for every document is held at once
 * (too little → InsufficientCreditsError and nothing runs); afterwards only
 * the documents that succeeded are charged, in one capture.
 *
 *   HOLDFAST_API_KEY=hf_… npx tsx sdk/examples/batch.ts
 */
import { consumeCredits } from "../src/index.js";
import { clientFromEnv } from "./client.js";

const hf = clientFromEnv();
const docs = ["first document", "a second, longer document ".repeat(10), "", "the last one"];

const summarise = consumeCredits.batch(hf, { credits: (doc: string) => Math.max(1, Math.ceil(doc.length / 100)), description: "summaries" }, async (doc: string) => {
  if (doc === "") throw new Error("empty document"); // a failure: its share is released
  return doc.split(" ").slice(0, 3).join(" ") + "…";
});

const results = await summarise(docs);
results.forEach((r, i) => console.log(`${i}: ${r.status === "fulfilled" ? r.value : `failed (${(r.reason as Error).message})`}`));
console.log(`balance: ${(await hf.credits.balance()).available} credits`);
