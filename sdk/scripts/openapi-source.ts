/**
 * The OpenAPI document a default deployment serves (built in-process with
 * the server's own builder and its built-in job kinds), and the SDK's types
 * generated from it with openapi-typescript. `npm run generate -w sdk`
 * writes them to src/generated/openapi.ts; sdk/test/types-drift.test.ts
 * fails when the committed file differs from what this produces.
 */
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";
import { buildOpenApiDocument } from "../../src/api/openapi.js";
import { loadConfig } from "../../src/config.js";
import type { AppContext } from "../../src/context.js";
import { builtinKinds } from "../../src/jobs/builtin.js";

export const GENERATED_PATH = fileURLToPath(new URL("../src/generated/openapi.ts", import.meta.url));

/** The document, from the same contributors /openapi.json uses. Only config and kinds are read. */
export function servedDocument(): ReturnType<typeof buildOpenApiDocument> {
  const config = loadConfig({ NODE_ENV: "production" });
  return buildOpenApiDocument({ config, kinds: builtinKinds(config) } as unknown as AppContext);
}

export async function renderTypes(doc: object = servedDocument()): Promise<string> {
  // openapi-typescript's types want its own document type; ours is the same JSON.
  const ast = await openapiTS(doc as Parameters<typeof openapiTS>[0]);
  return [
    "/**",
    " * Generated from the Holdfast OpenAPI document by sdk/scripts/generate-types.ts",
    " * (`npm run generate -w sdk`). Do not edit: sdk/test/types-drift.test.ts fails when",
    " * this file differs from what the server serves.",
    " */",
    astToString(ast),
  ].join("\n");
}
