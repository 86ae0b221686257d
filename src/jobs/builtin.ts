/**
 * The kinds and services a Holdfast deployment runs with. API and worker
 * both build their registry here, so they always agree.
 */
import type { DataSource } from "typeorm";
import type { Config } from "../config";
import { KindRegistry, type KindServices } from "./kind";

export function builtinKinds(_config: Config): KindRegistry {
  return new KindRegistry();
}

export function builtinServices(_config: Config, _ds: DataSource): KindServices {
  return {};
}
