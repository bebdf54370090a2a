/**
 * Tests of `scripts/build_npm.ts` (`deno task build:npm`): the package it builds, and the Node
 * smoke test it runs against the packed package. Needs `node` and `npm` on PATH and the npm
 * registry reachable the first time (the tools are cached under `dist/.cache/`).
 * @module
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { Simulator } from "../core/mod.ts";
import { COMMANDS, EXCLUDED } from "../scripts/build_npm.ts";

const ROOT = new URL("../", import.meta.url);

interface Build {
  readonly success: boolean;
  readonly output: string;
}

let building: Promise<Build> | undefined;

/** The `deno` arguments of `deno task build:npm`, as deno.json writes them. */
async function taskArgs(): Promise<string[]> {
  const deno = await readJson("deno.json") as { tasks: Record<string, string> };
  const [exe, ...args] = deno.tasks["build:npm"].split(/\s+/);
  assert.equal(exe, "deno");
  return args;
}

/** Runs the build once for all tests of this file, with the permissions its task grants. */
function build(): Promise<Build> {
  building ??= (async () => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: await taskArgs(),
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(180_000),
    }).output();
    const text = new TextDecoder();
    return {
      success: output.success,
      output: text.decode(output.stdout) + text.decode(output.stderr),
    };
  })();
  return building;
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(new URL(path, ROOT), "utf8"));
}

Deno.test("deno task build:npm allows running exactly the commands build_npm.ts runs", async () => {
  const args = await taskArgs();
  const allow = args.filter((arg) => arg.startsWith("--allow-run"));
  assert.equal(allow.length, 1, `build:npm task: ${args.join(" ")}`);
  const allowed = allow[0].slice("--allow-run=".length).split(",").sort();
  assert.deepEqual(allowed, [...COMMANDS].sort());
  assert.ok(!args.includes("-A") && !args.includes("--allow-all"));
});

Deno.test("build_npm.ts builds a package whose Node smoke test passes", async () => {
  const { success, output } = await build();
  assert.ok(success, output);
  assert.match(output, /smoke test: \d+ checks passed on Node v\d+/);
  assert.match(output, /ok two machines request\/reply over TCP/);
  assert.doesNotMatch(output, /FAIL/);
});

Deno.test("build_npm.ts runs the core's test files under Node, every one passing", async () => {
  const { success, output } = await build();
  assert.ok(success, output);
  const counts = /core tests on Node: (\d+) passed, (\d+) failed/.exec(output);
  assert.ok(counts, output);
  assert.ok(Number(counts[1]) >= 100, `only ${counts[1]} core tests ran under Node`);
  assert.equal(Number(counts[2]), 0);
});

Deno.test("npx archlab runs the lab from the installed package", async () => {
  const { success, output } = await build();
  assert.ok(success, output);
  const line = /npx archlab client-server --sim --json: (\{.*\})/.exec(output)?.[1];
  assert.ok(line, output);
  const summary = JSON.parse(line);
  assert.equal(summary.architecture, "client-server");
  assert.equal(summary.errors, 0);
  const pkg = await readJson("dist/npm/package.json") as { bin: Record<string, string> };
  assert.deepEqual(pkg.bin, { archlab: "./bin/archlab.mjs" });
});

Deno.test("build_npm.ts writes package.json from deno.json", async () => {
  assert.ok((await build()).success);
  const deno = await readJson("deno.json") as {
    version: string;
    exports: Record<string, string>;
    imports: Record<string, string>;
  };
  const pkg = await readJson("dist/npm/package.json") as {
    name: string;
    version: string;
    type: string;
    exports: Record<string, { types: string; default: string }>;
    dependencies: Record<string, string>;
  };
  assert.equal(pkg.name, "archlab");
  assert.equal(pkg.version, deno.version);
  assert.equal(pkg.type, "module");
  const expected = Object.keys(deno.exports).filter((key) => !(key in EXCLUDED));
  assert.deepEqual(Object.keys(pkg.exports), expected);
  assert.ok(expected.includes("./core") && !("./mobile-agent" in pkg.exports));
  assert.ok(!("./run" in pkg.exports), "the launcher starts child deno processes");
  assert.deepEqual(pkg.exports["./core"], {
    types: "./esm/core/mod.d.ts",
    default: "./esm/core/mod.js",
  });
  assert.deepEqual(pkg.dependencies, {
    hono: deno.imports.hono.replace("npm:hono@", ""),
    postgres: deno.imports.postgres.replace("npm:postgres@", ""),
  });
});

Deno.test("build_npm.ts emits JavaScript whose relative imports end in .js", async () => {
  assert.ok((await build()).success);
  const js = await readFile(new URL("dist/npm/esm/core/network/tcp_transport.js", ROOT), "utf8");
  assert.match(js, /from "\.\/_frame_connection\.js"/);
  assert.doesNotMatch(js, /^(import|export)\b[^\n]* from "\.[^"]*\.ts";$/m); // doc examples keep .ts
  const frame = await readFile(
    new URL("dist/npm/esm/core/network/_frame_connection.js", ROOT),
    "utf8",
  );
  assert.match(frame, /import \{ Deno \} from "\.\.\/\.\.\/_deno\/mod\.js"/);
});

/** The scenario of `simulate()` in scripts/npm_smoke_test.mjs, run on Deno. */
async function simulateDigest(seed: number, drop: number, requests: number): Promise<string> {
  const sim = new Simulator({ seed, drop });
  sim.machine("m1.lab").spawn("kv", async (ctx) => {
    for (;;) {
      const request = await ctx.receive<{ n: number }>();
      await ctx.reply(request, { kind: "ok", value: request.body.n * 2 });
    }
  });
  sim.machine("m2.lab").spawn("client", async (ctx) => {
    for (let n = 1; n <= requests; n++) {
      await ctx.request("kv@m1.lab", { kind: "get", n }, { timeout: 30_000 });
    }
  });
  await sim.run({ until: 60_000 });
  return sim.trace.digest();
}

Deno.test("the npm package on Node gives the trace digest Deno gives for the same seed", async () => {
  const { success, output } = await build();
  assert.ok(success, output);
  const node = /seed 7 digest ([0-9a-f]{64})/.exec(output)?.[1];
  assert.ok(node, output);
  assert.equal(await simulateDigest(7, 0.3, 10), node);
});
