#!/usr/bin/env node
// The `holdfast` CLI: the built dist/ when there is one, otherwise the
// TypeScript sources through tsx (inside this repository no build is needed).
import { existsSync } from "node:fs";

const built = new URL("../dist/bin.js", import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(new URL("../src/bin.ts", import.meta.url).href);
}
