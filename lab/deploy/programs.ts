/**
 * Every architecture's programs, by name: what a machine started by `lab node` can run (and
 * `system-process`, a process of a user's system loaded from its file, and the `check-*`
 * programs of a node that `lab check --real` runs).
 * @module
 */
import { groupPrograms } from "../../groups/member_program.ts";
import type { Program } from "../../core/process.ts";
import { programs as mobileAgent } from "../../mobile-agent/programs.ts";
import { programs as peers } from "../../peers/programs.ts";
import { programs as proxy } from "../../proxy/programs.ts";
import { programs as rpc } from "../../rpc/programs.ts";
import { programs as check } from "../check/programs.ts";
import { programs as run } from "../run/programs.ts";
import { programs as tiers } from "../../tiers/programs.ts";
import { programs as transactions } from "../../transactions/programs.ts";

/** Programs by name, from every architecture. */
export const programs: Readonly<Record<string, Program>> = {
  ...tiers,
  ...proxy,
  ...mobileAgent,
  ...peers,
  ...groupPrograms,
  ...rpc,
  ...transactions,
  ...run,
  ...check,
};

/**
 * Looks up a program by name.
 * @throws {TypeError} naming the program and listing the known ones.
 */
export function findProgram(name: string): Program {
  const program = programs[name];
  if (program === undefined) {
    throw new TypeError(
      `Cannot start program "${name}": unknown; known programs: ${
        Object.keys(programs).join(", ")
      }`,
    );
  }
  return program;
}
