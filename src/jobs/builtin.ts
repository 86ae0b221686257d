/**
 * The kinds and services a Holdfast deployment runs with. API and worker
 * both build their registry here, so they always agree.
 */
import type { DataSource } from "typeorm";
import type { Config } from "../config";
import { LocalDiskStorage } from "../files/storage";
import { FileStore } from "../files/store";
import { KindRegistry, type KindServices } from "./kind";
import { aiKind } from "./kinds/ai/kind";
import { fileKind } from "./kinds/file/kind";
import { scriptKind } from "./kinds/script/kind";
import { BUILTIN_SCRIPTS, ScriptRegistry } from "./kinds/script/registry";
import type { ScriptLimits } from "./kinds/script/sandbox";

/** Largest file an operation may produce: a few times the upload limit (gunzip grows data). */
export function maxOutputBytes(config: Config): number {
  return config.MAX_UPLOAD_BYTES * 4;
}

/** Operating-system limits per script run (SCRIPT_CPU_SECONDS, SCRIPT_MEMORY_MB). */
export function scriptLimits(config: Config): ScriptLimits {
  return { cpuSeconds: config.SCRIPT_CPU_SECONDS, memoryMb: config.SCRIPT_MEMORY_MB };
}

export function builtinKinds(config: Config): KindRegistry {
  return new KindRegistry()
    .register(scriptKind(new ScriptRegistry(config.SCRIPTS_DIR, BUILTIN_SCRIPTS), scriptLimits(config)))
    .register(aiKind({ baseURL: config.AI_BASE_URL, apiKey: config.AI_API_KEY, model: config.AI_MODEL, timeoutMs: config.AI_TIMEOUT_MS }))
    .register(fileKind({ maxOutputBytes: maxOutputBytes(config) }));
}

/** `files`: the file store (rows + blob storage) the file kind and the files routes share. */
export function builtinServices(config: Config, ds: DataSource): KindServices {
  return { files: new FileStore(ds, new LocalDiskStorage(config.STORAGE_DIR)) };
}
