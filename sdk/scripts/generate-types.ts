/** Write src/generated/openapi.ts from the server's OpenAPI document. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { GENERATED_PATH, renderTypes } from "./openapi-source.js";

mkdirSync(dirname(GENERATED_PATH), { recursive: true });
writeFileSync(GENERATED_PATH, await renderTypes());
console.log(`wrote ${GENERATED_PATH}`);
