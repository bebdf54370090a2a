/**
 * Programs of the tiers architectures (client/server, three-tier), by name.
 * @module
 */
import type { Program } from "../core/process.ts";
import { kvPrograms } from "./client_server/kv_programs.ts";
import { threeTierPrograms } from "./three_tier/three_tier_programs.ts";

/** Every program of the tiers architectures, by name. */
export const programs: Readonly<Record<string, Program>> = { ...kvPrograms, ...threeTierPrograms };
