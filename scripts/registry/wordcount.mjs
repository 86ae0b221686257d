// wordcount: { text } → { words, lines, characters }
// Lines are counted as a reader would: "a\nb" and "a\nb\n" are both 2 lines.
import { readParameters } from "./stdin-json.mjs";

const { text = "" } = await readParameters();
const words = text.split(/\s+/u).filter(Boolean).length;
const lines = text === "" ? 0 : text.replace(/(\r\n|\r|\n)$/u, "").split(/\r\n|\r|\n/u).length;
const characters = [...text].length;
process.stdout.write(`${JSON.stringify({ words, lines, characters })}\n`);
