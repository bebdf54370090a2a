/**
 * The import discipline of the source tree: one core, many architectures, talking through the
 * core's public files only. An architecture (groups/ tiers/ proxy/ mobile-agent/ peers/ rpc/
 * transactions/) imports its own files and the core's public (non-`_`) files, never another
 * architecture or a `_`-prefixed core file; the lab (lab/), the command line that runs every
 * architecture, may also import an architecture's public files, never its private ones; the
 * core imports nothing outside core/ (but `node:` built-ins and Hono for its HTTP transport).
 * @module
 */
import { dirname, join, normalize } from "node:path";
import { assertEquals } from "./_assert.ts";

/** The architecture folders: the published folders of deno.json but the core and the lab. */
const ARCHITECTURES: readonly string[] = (JSON.parse(
  await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
).publish.include as string[])
  .filter((entry) => entry.endsWith("/") && entry !== "core/" && entry !== "lab/")
  .map((entry) => entry.slice(0, -1));
const LAB = "lab";
/** Packages the core may import: Hono, for the HTTP transport only (`core/network/http_network.ts`). */
const CORE_PACKAGES = new Set(["hono"]);

/** Every specifier a TypeScript file imports or re-exports, static or dynamic, type-only too. */
function specifiers(text: string): string[] {
  const found: string[] = [];
  const pattern =
    /\b(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g;
  for (const match of text.matchAll(pattern)) found.push(match[1] ?? match[2]);
  return found;
}

/** Why `file` (a path from the repository root) may not import `spec`, or `undefined`. */
function problem(file: string, spec: string): string | undefined {
  const top = file.split("/")[0];
  if (!spec.startsWith(".")) {
    if (top !== "core" || spec.startsWith("node:") || CORE_PACKAGES.has(spec)) return undefined;
    return "the core imports no package but node: built-ins and Hono";
  }
  const target = normalize(join(dirname(file), spec));
  const parts = target.split("/");
  const [targetTop] = parts;
  if (targetTop === top) return undefined;
  if (top === "core") return `the core imports nothing outside core/ (this is ${target})`;
  const private_ = parts.some((part) => part.startsWith("_"));
  if (targetTop === "core") {
    return private_
      ? `${target} is private to the core: use core/mod.ts or a public file`
      : undefined;
  }
  const isArchitecture = ARCHITECTURES.includes(targetTop);
  if (top === LAB && isArchitecture) {
    return private_ ? `${target} is private to ${targetTop}/: use its public files` : undefined;
  }
  if (targetTop === LAB) return `an architecture does not import the lab (${target})`;
  if (isArchitecture) return `an architecture uses another (${target}) only through the core`;
  return undefined;
}

/** The forbidden imports of `files` (path from the root → text), one line each: file, import, why. */
function violations(files: ReadonlyMap<string, string>): string[] {
  const found: string[] = [];
  for (const [file, text] of files) {
    for (const spec of specifiers(text)) {
      const why = problem(file, spec);
      if (why !== undefined) found.push(`${file} imports "${spec}": ${why}`);
    }
  }
  return found.sort();
}

/** The `.ts` files under `folder`, by path from the repository root (a bounded walk). */
async function sources(root: URL, folder: string, into: Map<string, string>): Promise<void> {
  const pending = [folder];
  for (let i = 0; i < 10_000 && pending.length > 0; i++) {
    const dir = pending.pop()!;
    for await (const entry of Deno.readDir(new URL(dir, root))) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) pending.push(path);
      else if (entry.name.endsWith(".ts")) {
        into.set(path, await Deno.readTextFile(new URL(path, root)));
      }
    }
  }
}

Deno.test("import discipline: architectures use the core through its public files, the core imports only itself", async () => {
  const root = new URL("../", import.meta.url);
  const files = new Map<string, string>();
  for (const folder of ["core", LAB, ...ARCHITECTURES]) await sources(root, folder, files);
  assertEquals(ARCHITECTURES.includes("proxy") && ARCHITECTURES.includes("mobile-agent"), true);
  assertEquals(files.has("proxy/http1_client.ts") && files.has("core/mod.ts"), true);
  assertEquals(violations(files), []);
});

Deno.test("import discipline: the check names the file and the import of each forbidden one", () => {
  const files = new Map([
    ["proxy/http1_client.ts", 'import { bytesOf } from "../core/network/_http1_write.ts";'],
    ["proxy/ok.ts", 'import { encodeFrame } from "../core/network/frame.ts";\nimport "./x.ts";'],
    ["groups/member.ts", 'export { Gossip } from "../peers/gossip.ts";'],
    ["rpc/stub.ts", 'const lab = await import("../lab/run/mod.ts");'],
    ["lab/p2p/command.ts", 'import type { Churn } from "../../peers/churn.ts";'],
    ["lab/p2p/_x.ts", 'import { seen } from "../../peers/_seen.ts";'],
    ["core/machine.ts", 'import type { Member } from "../groups/types.ts";\nimport "node:dgram";'],
    ["core/network/http_network.ts", 'import { Hono } from "hono";'],
    ["core/x.ts", 'import Table from "cli-table3";'],
  ]);
  assertEquals(violations(files), [
    'core/machine.ts imports "../groups/types.ts": the core imports nothing outside core/ (this is groups/types.ts)',
    'core/x.ts imports "cli-table3": the core imports no package but node: built-ins and Hono',
    'groups/member.ts imports "../peers/gossip.ts": an architecture uses another (peers/gossip.ts) only through the core',
    'lab/p2p/_x.ts imports "../../peers/_seen.ts": peers/_seen.ts is private to peers/: use its public files',
    'proxy/http1_client.ts imports "../core/network/_http1_write.ts": core/network/_http1_write.ts is private to the core: use core/mod.ts or a public file',
    'rpc/stub.ts imports "../lab/run/mod.ts": an architecture does not import the lab (lab/run/mod.ts)',
  ]);
});
