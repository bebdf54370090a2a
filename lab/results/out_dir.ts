/**
 * Results folders: `--out DIR` names one; `--out` alone or `--artifacts` asks for the default
 * `runs/<arch>-<seed>-<time>/`, with `runs/latest` pointing at the newest. The folder is made
 * (and proven writable) before the run starts, so a bad path fails at once.
 * @module
 */

/** The folder under which default results folders go. */
export const RUNS_DIR = "runs";

/**
 * The name of a default results folder: architecture, seed and UTC time to the second.
 *
 * @example A folder name
 * ```ts
 * import assert from "node:assert/strict";
 * import { runFolderName } from "./out_dir.ts";
 * const name = runFolderName("client-server", 7, new Date("2026-12-05T05:20:01.500Z"));
 * assert.equal(name, "client-server-7-20261205T052001Z");
 * ```
 */
export function runFolderName(architecture: string, seed: number, at: Date): string {
  const time = at.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return `${architecture}-${seed}-${time}`;
}

/**
 * Makes the results folder and checks that it can be written; returns its path. `dir` is the
 * folder to use, or `undefined` for a new default folder under `runs/` named by
 * {@link runFolderName} (with `-2`, `-3`... when that name is taken). An explicit folder may
 * exist already (its files are replaced); its parent must exist. Throws what `fail` makes of a
 * message naming the path and what to do; `what` and `flag` name what the folder holds and the
 * flag that gave it (other folder flags, such as `lab transactions --data-dir`, use it too).
 *
 * @example A missing parent folder is refused
 * ```ts
 * import assert from "node:assert/strict";
 * import { prepareOutDir } from "./out_dir.ts";
 * assert.throws(() => prepareOutDir("/no/such/parent/run", "rpc", 1), /Cannot write results/);
 * assert.throws(
 *   () => prepareOutDir("/no/such/dir", "x", 1, { what: "keep data in", flag: "--data-dir" }),
 *   /Cannot keep data in "\/no\/such\/dir": .*give --data-dir a writable folder/,
 * );
 * ```
 */
export function prepareOutDir(
  dir: string | undefined,
  architecture: string,
  seed: number,
  options: {
    at?: Date;
    fail?: (message: string) => Error;
    /** @default "write results to" */
    what?: string;
    /** @default "--out" */
    flag?: string;
  } = {},
): string {
  const fail = options.fail ?? ((message: string) => new RangeError(message));
  const { what = "write results to", flag = "--out" } = options;
  let path = dir;
  try {
    if (path === undefined) {
      Deno.mkdirSync(RUNS_DIR, { recursive: true });
      const base = `${RUNS_DIR}/${runFolderName(architecture, seed, options.at ?? new Date())}`;
      path = made(base);
    } else if (!exists(path)) {
      Deno.mkdirSync(path);
    } else if (!Deno.statSync(path).isDirectory) {
      throw new Error("it is a file, not a folder");
    }
    const probe = `${path}/.archlab-probe`;
    Deno.writeTextFileSync(probe, "");
    Deno.removeSync(probe);
  } catch (error) {
    throw fail(
      `Cannot ${what} "${path ?? RUNS_DIR}": ${(error as Error).message}; ` +
        `give ${flag} a writable folder (its parent folder must exist)`,
    );
  }
  return path;
}

/** Makes `base`, or `base-2`, `base-3`... when taken (by another run in the same second too). */
function made(base: string): string {
  for (let n = 1; n < 1000; n++) {
    const path = n === 1 ? base : `${base}-${n}`;
    try {
      Deno.mkdirSync(path);
      return path;
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
  }
  throw new Error(`${base}-2 to ${base}-999 exist already`);
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Points `runs/latest` at the results folder `dir` (a folder directly under `runs/`), relative
 * to the working directory.
 *
 * @example A relative link
 * ```ts
 * import assert from "node:assert/strict";
 * import { linkLatest } from "./out_dir.ts";
 * const cwd = Deno.cwd(), dir = await Deno.makeTempDir();
 * Deno.chdir(dir);
 * try {
 *   await Deno.mkdir("runs/a-1", { recursive: true });
 *   await linkLatest("runs/a-1");
 *   assert.equal(await Deno.readLink("runs/latest"), "a-1");
 * } finally {
 *   Deno.chdir(cwd);
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function linkLatest(dir: string): Promise<void> {
  const link = `${RUNS_DIR}/latest`;
  const target = dir.slice(dir.lastIndexOf("/") + 1);
  // A new link renamed over the old one: runs that end together never see it missing.
  const fresh = `${RUNS_DIR}/.latest-${target}`;
  await Deno.symlink(target, fresh, { type: "dir" });
  await Deno.rename(fresh, link);
}
