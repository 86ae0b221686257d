/**
 * The seeds' AI chat, metered by Holdfast: 1 credit per 100 characters of
 * prompt (charged up front with consumeCredits), and 1 credit per 100
 * characters generated, metered as the answer streams (creditAware, capped
 * at a hold of 20 credits). The "model" is a stand-in so the example runs
 * anywhere; put your provider's streaming call in its place.
 *
 *   HOLDFAST_API_KEY=hf_… npx tsx sdk/examples/ai-chat.ts "Tell me about holds"
 */
import { consumeCredits, creditAware, InsufficientCreditsError } from "../src/index.js";
import { clientFromEnv } from "./client.js";

const hf = clientFromEnv();
const per100 = (text: string) => Math.max(1, Math.ceil(text.length / 100));

async function* fakeModel(prompt: string): AsyncIterable<string> {
  for (const word of `You asked: "${prompt}". Holds reserve credits, captures charge what was used.`.repeat(3).split(" ")) yield `${word} `;
}

const readPrompt = consumeCredits(hf, { credits: per100, description: "chat prompt" }, (prompt: string) => prompt.trim());

const answer = creditAware(hf, { maxCredits: 20, description: "chat answer" }, async (meter, prompt: string) => {
  let text = "";
  let billed = 0;
  for await (const chunk of fakeModel(prompt)) {
    text += chunk;
    // Bill each started 100 characters once, as they are generated.
    const due = Math.ceil(text.length / 100) - billed;
    if (due > 0) {
      meter.use(due);
      billed += due;
    }
  }
  return { text, credits: meter.used };
});

try {
  const prompt = await readPrompt(process.argv[2] ?? "Hello Holdfast");
  const { text, credits } = await answer(prompt);
  console.log(text.trim());
  console.log(`\n(${per100(prompt)} credits for the prompt, ${credits} for the answer; balance ${(await hf.credits.balance()).available})`);
} catch (err) {
  if (err instanceof InsufficientCreditsError) console.error(`Not enough credits: need ${err.required}, have ${err.available}.`);
  else throw err;
  process.exitCode = 1;
}
