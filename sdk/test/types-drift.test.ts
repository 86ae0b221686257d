/**
 * The SDK's committed types must be what the server's OpenAPI document
 * generates today. On failure run `npm run generate -w sdk` and commit.
 */
import { readFile } from "node:fs/promises";
import { expect, it } from "vitest";
import { GENERATED_PATH, renderTypes } from "../scripts/openapi-source.js";

it("src/generated/openapi.ts matches the OpenAPI document the server builds", async () => {
  const committed = await readFile(GENERATED_PATH, "utf8");
  const fresh = await renderTypes();
  expect(committed === fresh, "sdk/src/generated/openapi.ts is stale: run `npm run generate -w sdk`").toBe(true);
});
