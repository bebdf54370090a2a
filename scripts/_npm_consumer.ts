/**
 * The consumer side of `scripts/build_npm.ts`: pack `dist/npm`, install the tarball into a
 * project as a user would, type-check a TypeScript user of it and run the Node smoke test.
 * @module
 */
import { cp, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CACHE, NPM_QUIET, OUT, ROOT, run } from "./_npm_run.ts";

/** Packs `dist/npm` with `npm pack`; resolves to the tarball's path. */
export async function pack(): Promise<string> {
  await mkdir(CACHE, { recursive: true });
  const out = await run("npm", [...NPM_QUIET, "pack", "--json", "--pack-destination", CACHE], OUT);
  const [{ filename }] = JSON.parse(out) as { filename: string }[];
  return join(CACHE, filename);
}

/** Installs the tarball into a fresh `dist/.cache/consumer/` project, with the smoke test. */
export async function installConsumer(tarball: string): Promise<void> {
  const dir = join(CACHE, "consumer");
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, "package.json"),
    JSON.stringify({ name: "archlab-smoke", private: true, type: "module" }, null, 2),
  );
  await run(
    "npm",
    [...NPM_QUIET, "install", "--prefer-offline", "--no-package-lock", tarball],
    dir,
  );
  await cp(join(ROOT, "scripts", "npm_smoke_test.mjs"), join(dir, "smoke_test.mjs"));
}

/** A TypeScript user of the package: it compiles only if the `.d.ts` files resolve and type. */
const CONSUMER_TS =
  `import { FrameConnection, listenFrames, Simulator, type Envelope } from "archlab/core";
import { createHttpProxy, serveHttpProxy } from "archlab/proxy";
import { simulateGossip } from "archlab/peers";
import { presentationTier } from "archlab/tiers";
import * as root from "archlab";

const sim: root.Simulator = new Simulator({ seed: 1 });
sim.machine("m1.lab").spawn("kv", async (ctx) => {
  const request: Envelope = await ctx.receive();
  await ctx.reply(request, { kind: "ok" });
});
const listener = listenFrames({ onFrame: (payload: Uint8Array, conn: FrameConnection) => conn.send(payload) });
const server = serveHttpProxy(createHttpProxy("http://127.0.0.1:1", { now: () => 0 }));
const hostname: string = server.addr.hostname;
const converged: Promise<boolean> = simulateGossip({ peers: 3 }).then((o) => o.converged);
// @ts-expect-error: the types are real (not any), so a number is not a string
const port: string = listener.port;
void [port, hostname, converged, presentationTier];
`;

/** Type-checks {@link CONSUMER_TS} against the installed package (strict, no skipLibCheck). */
export async function checkConsumerTypes(modules: string): Promise<void> {
  const dir = join(CACHE, "consumer");
  await writeFile(join(dir, "types_check.ts"), CONSUMER_TS);
  const tsconfig = {
    compilerOptions: {
      target: "ES2022",
      lib: ["ES2022"],
      module: "NodeNext",
      moduleResolution: "NodeNext",
      strict: true,
      noEmit: true,
      types: ["node"],
      typeRoots: [join(modules, "@types")],
    },
    files: ["types_check.ts"],
  };
  await writeFile(join(dir, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));
  await run("node", [join(modules, "typescript", "bin", "tsc"), "-p", "tsconfig.json"], dir);
}

/** Runs the smoke test with node in the consumer project; resolves to its output. */
export async function runSmoke(): Promise<string> {
  return await run("node", ["smoke_test.mjs"], join(CACHE, "consumer"), 60_000);
}

/**
 * Runs `npx archlab` in the consumer project as a user would: the lab's help, and a simulated
 * client-server run; resolves to the run's `--json` summary line.
 */
export async function runBin(): Promise<string> {
  const dir = join(CACHE, "consumer");
  const help = await run("npx", ["--no", "archlab", "--help"], dir, 120_000);
  if (!/deno task lab|Usage/.test(help)) {
    throw new Error(`Cannot run npx archlab --help: it printed no usage:\n${help}`);
  }
  const out = await run(
    "npx",
    ["--no", "archlab", "client-server", "--sim", "--json", "--requests", "3"],
    dir,
    120_000,
  );
  return out.trim().split("\n").at(-1) ?? "";
}
