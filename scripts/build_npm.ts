/**
 * Builds the npm package of archlab in `dist/npm/` (ESM + `.d.ts` + `package.json`) and tests it
 * under Node:
 *
 * 1. copies the TypeScript sources of the entry points named in `deno.json` "exports" (minus
 *    {@link EXCLUDED}) to `dist/npm/src/`; a source that names `Deno.` imports `Deno` from
 *    `src/_deno/mod.ts` (a copy of `scripts/npm_deno/`: the Deno APIs archlab uses, on
 *    `node:net` and `node:http`);
 * 2. writes `package.json` from `deno.json` (name, version, license, exports, and the npm
 *    packages of its import map that the sources import, at their pinned versions);
 * 3. compiles with `tsc` from the npm package `typescript` ({@link TOOLS}, installed once under
 *    `dist/.cache/tools/`) with `rewriteRelativeImportExtensions`, `module: NodeNext`, `.d.ts`;
 * 4. packs the package with `npm pack`, installs the tarball into `dist/.cache/consumer/` as a
 *    user would, type-checks a TypeScript user of every entry against the emitted `.d.ts`
 *    (strict, no `skipLibCheck`), and runs `scripts/npm_smoke_test.mjs` there with `node`;
 * 5. runs the core's own test files under Node (`scripts/_npm_node_tests.ts`).
 *
 * Run with `deno run -A scripts/build_npm.ts` (`--no-smoke` skips step 4). Needs Node 20+ and npm
 * on PATH and the npm registry reachable the first time.
 * @module
 */
import { chmod, cp, mkdir, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { checkConsumerTypes, installConsumer, pack, runBin, runSmoke } from "./_npm_consumer.ts";
import { CACHE, exists, NPM_QUIET, OUT, ROOT, run } from "./_npm_run.ts";
import { type NodeTestReport, runNodeTests } from "./_npm_node_tests.ts";
export { COMMANDS } from "./_npm_run.ts";

/** Pinned versions of the build tools (the TypeScript of Deno 2.9.6 is 6.0.3). */
export const TOOLS: Readonly<Record<string, string>> = {
  "typescript": "6.0.3",
  "@types/node": "22.20.5",
};

/** Entry points left out of the npm package, with the reason (shown by the build). */
export const EXCLUDED: Readonly<Record<string, string>> = {
  "./mobile-agent":
    "agents run in child `deno` processes (Deno.Command, Deno permissions as the sandbox)",
  "./run": "the launcher starts each machine as a child `deno` process (`lab node`)",
};

/** What {@linkcode buildNpm} did. */
export interface BuildReport {
  /** The package directory (`dist/npm`). */
  readonly outDir: string;
  /** The `exports` keys of the package. */
  readonly entries: readonly string[];
  /** Emitted `.js` files. */
  readonly files: number;
  /** The `npm pack` tarball, when the smoke test ran. */
  readonly tarball?: string;
  /** The smoke test's output, when it ran. */
  readonly smoke?: string;
  /** The core's test files run under Node, when the smoke test ran. */
  readonly nodeTests?: NodeTestReport;
  /** Milliseconds per step. */
  readonly timings: Readonly<Record<string, number>>;
}

/** Options of {@linkcode buildNpm}. */
export interface BuildNpmOptions {
  /** Pack, install and run the Node smoke test. @default true */
  readonly smoke?: boolean;
  /** Where progress lines go. @default console.log */
  readonly log?: (line: string) => void;
}

const SHIM = "_deno/mod.ts";

interface DenoJson {
  name: string;
  version: string;
  license?: string;
  exports: Record<string, string>;
  imports?: Record<string, string>;
}

/**
 * Builds `dist/npm/` and, unless `smoke` is false, tests the packed package under Node.
 *
 * @example Build without the Node smoke test
 * ```ts ignore
 * import { buildNpm } from "./build_npm.ts";
 * const report = await buildNpm({ smoke: false });
 * console.log(report.entries); // [".", "./core", "./tiers", "./proxy", "./peers"]
 * ```
 * @throws {Error} When a command fails (tsc, npm, node); the message names it and quotes its
 * output.
 */
export async function buildNpm(options: BuildNpmOptions = {}): Promise<BuildReport> {
  const log = options.log ?? console.log;
  const timings: Record<string, number> = {};
  const step = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const result = await run();
    timings[name] = Math.round(performance.now() - start);
    log(`build:npm ${name} (${timings[name]} ms)`);
    return result;
  };
  await checkNode();
  const config = JSON.parse(await readFile(join(ROOT, "deno.json"), "utf8")) as DenoJson;
  const entries = Object.keys(config.exports).filter((key) => !(key in EXCLUDED));
  for (const [key, why] of Object.entries(EXCLUDED)) log(`build:npm excludes ${key}: ${why}`);

  await step("copy sources", async () => {
    await rm(OUT, { recursive: true, force: true });
    await mkdir(join(OUT, "src"), { recursive: true });
    await copySources(config, entries);
  });
  const dependencies = await dependenciesOf(config);
  await writeFile(
    join(OUT, "package.json"),
    JSON.stringify(await packageJson(config, entries, dependencies), null, 2) + "\n",
  );
  const tools = await step("install tools", () => installTools(dependencies));
  await step("tsc", () => compile(tools, config, entries));
  const files = await step("prune", () => pruneUnused());
  for (const name of ["README.md", "LICENSE"]) {
    if (await exists(join(ROOT, name))) await cp(join(ROOT, name), join(OUT, name));
  }
  await step("lab sources", () => copyLab());
  if (options.smoke === false) return { outDir: OUT, entries, files, timings };
  const tarball = await step("npm pack", () => pack());
  await step("npm install", () => installConsumer(tarball));
  await step("consumer tsc", () => checkConsumerTypes(tools));
  const smoke = await step("node smoke test", () => runSmoke());
  for (const line of smoke.trimEnd().split("\n")) log(`  ${line}`);
  const bin = await step("npx archlab", () => runBin());
  log(`  npx archlab client-server --sim --json: ${bin}`);
  const nodeTests = await step("core tests on node", () => runNodeTests(tools));
  log(`  core tests on Node: ${nodeTests.passed} passed, ${nodeTests.failed} failed`);
  return { outDir: OUT, entries, files, tarball, smoke, nodeTests, timings };
}

async function checkNode(): Promise<void> {
  const version = (await run("node", ["--version"], ROOT)).trim();
  const major = Number(/^v(\d+)/.exec(version)?.[1]);
  if (!(major >= 20)) {
    throw new Error(`Cannot build the npm package: node ${version} is too old; install Node 20+`);
  }
}

/**
 * Copies every `.ts` file of the exported folders; the root entry's own file too, without its
 * re-exports of excluded entries.
 */
async function copySources(config: DenoJson, entries: readonly string[]): Promise<void> {
  await cp(join(ROOT, "scripts", "npm_deno"), join(OUT, "src", dirname(SHIM)), { recursive: true });
  const excluded = Object.keys(EXCLUDED).flatMap((key) => config.exports[key] ?? []);
  for (const key of entries) {
    const path = config.exports[key].replace(/^\.\//, "");
    const folder = dirname(path);
    if (folder === ".") await copySource(path, excluded);
    else for (const file of await walk(join(ROOT, folder))) await copySource(relative(ROOT, file));
  }
}

/** Removes the `export ... from "<module>";` statements that name one of `modules`. */
function withoutExportsOf(text: string, modules: readonly string[]): string {
  return text.replace(
    /^export\s+(?:\*|type\s+\{[^}]*\}|\{[^}]*\})\s+from\s+"([^"]+)";\n/gm,
    (statement, from: string) => modules.includes(from) ? "" : statement,
  );
}

async function copySource(path: string, excluded: readonly string[] = []): Promise<void> {
  if (!path.endsWith(".ts") || path.endsWith("_test.ts")) return;
  let text = withoutExportsOf(await readFile(join(ROOT, path), "utf8"), excluded);
  if (/\bDeno\./.test(text)) {
    let shim = relative(dirname(path), SHIM);
    if (!shim.startsWith(".")) shim = `./${shim}`;
    const line = `import { Deno } from "${shim}";\n`;
    const docEnd = text.startsWith("/**") ? text.indexOf("*/") + 3 : 0;
    text = text.slice(0, docEnd) + line + text.slice(docEnd);
  }
  await mkdir(dirname(join(OUT, "src", path)), { recursive: true });
  await writeFile(join(OUT, "src", path), text);
}

async function walk(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...await walk(path));
    else files.push(path);
  }
  return files.sort();
}

/** The npm packages of the import map that the copied sources import, with their versions. */
async function dependenciesOf(config: DenoJson): Promise<Record<string, string>> {
  const sources = await Promise.all(
    (await walk(join(OUT, "src"))).map((file) => readFile(file, "utf8")),
  );
  const text = sources.join("\n");
  const dependencies: Record<string, string> = {};
  for (const [name, target] of Object.entries(config.imports ?? {})) {
    const match = /^npm:(@?[^@]+)@(.+)$/.exec(target);
    if (!match) continue;
    const quoted = new RegExp(`from "${name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}(/[^"]*)?"`);
    if (quoted.test(text)) dependencies[match[1]] = match[2];
  }
  return dependencies;
}

async function packageJson(
  config: DenoJson,
  entries: readonly string[],
  dependencies: Record<string, string>,
): Promise<Record<string, unknown>> {
  const exports: Record<string, { types: string; default: string }> = {};
  for (const key of entries) {
    const js = config.exports[key].replace(/^\.\//, "./esm/").replace(/\.ts$/, ".js");
    exports[key] = { types: js.replace(/\.js$/, ".d.ts"), default: js };
  }
  const rootDoc = /\/\*\*\s*\n\s*\*\s*([^\n]*?\.)/.exec(
    await readFile(join(ROOT, config.exports["."] ?? "mod.ts"), "utf8"),
  );
  return {
    // JSR names need a scope (`@archlab/archlab`); on npm the package is plain `archlab`.
    name: config.name.replace(/^@[^/]+\//, ""),
    version: config.version,
    description: rootDoc?.[1] ?? config.name,
    license: config.license ?? "UNLICENSED",
    type: "module",
    engines: { node: ">=20" },
    exports,
    types: exports["."]?.types,
    bin: { archlab: "./bin/archlab.mjs" },
    files: ["esm", "src", "deno", "bin"],
    sideEffects: false,
    dependencies,
  };
}

/** The folders the lab's command line runs from, on Deno. */
const LAB_SOURCES = [
  "core",
  "groups",
  "tiers",
  "proxy",
  "mobile-agent",
  "peers",
  "rpc",
  "transactions",
  "lab",
];

/**
 * Copies the TypeScript sources the lab runs from (no tests) to `deno/`, with `deno.json` and
 * `deno.lock`, and the `archlab` command to `bin/`.
 */
async function copyLab(): Promise<void> {
  const dir = join(OUT, "deno");
  for (const folder of LAB_SOURCES) {
    for (const file of await walk(join(ROOT, folder))) {
      if (file.endsWith("_test.ts")) continue;
      const target = join(dir, relative(ROOT, file));
      await mkdir(dirname(target), { recursive: true });
      await cp(file, target);
    }
  }
  for (const name of ["mod.ts", "deno.json", "deno.lock"]) {
    await cp(join(ROOT, name), join(dir, name));
  }
  await mkdir(join(OUT, "bin"), { recursive: true });
  await cp(join(ROOT, "scripts", "npm_bin.mjs"), join(OUT, "bin", "archlab.mjs"));
  await chmod(join(OUT, "bin", "archlab.mjs"), 0o755);
}

/** Installs the pinned tools and the runtime dependencies (for their types) once. */
async function installTools(dependencies: Record<string, string>): Promise<string> {
  const dir = join(CACHE, "tools");
  const wanted = { ...TOOLS, ...dependencies };
  const stampFile = join(dir, "node_modules", ".archlab-tools.json");
  const stamp = JSON.stringify(wanted);
  if ((await readFile(stampFile, "utf8").catch(() => "")) !== stamp) {
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, "package.json"),
      JSON.stringify({ name: "archlab-build-tools", private: true, dependencies: wanted }, null, 2),
    );
    await run("npm", [...NPM_QUIET, "install", "--no-package-lock"], dir);
    await writeFile(stampFile, stamp);
  }
  return join(dir, "node_modules");
}

async function compile(
  modules: string,
  config: DenoJson,
  entries: readonly string[],
): Promise<void> {
  const tsconfig = {
    compilerOptions: {
      target: "ES2022",
      lib: ["ES2022"],
      module: "NodeNext",
      moduleResolution: "NodeNext",
      rewriteRelativeImportExtensions: true,
      declaration: true,
      declarationMap: true,
      sourceMap: true,
      strict: true,
      skipLibCheck: true,
      types: ["node"],
      rootDir: "src",
      outDir: "esm",
      newLine: "lf",
    },
    files: [
      `src/${SHIM}`,
      ...entries.map((key) => `src/${config.exports[key].slice(2)}`),
    ],
  };
  const tsconfigPath = join(OUT, "tsconfig.json");
  await writeFile(tsconfigPath, JSON.stringify(tsconfig, null, 2));
  const link = join(OUT, "node_modules");
  await symlink(relative(OUT, modules), link);
  try {
    await run("node", [join(modules, "typescript", "bin", "tsc"), "-p", tsconfigPath], OUT);
  } finally {
    await rm(link, { force: true });
    await rm(tsconfigPath, { force: true });
  }
}

/** Deletes copied sources that no entry point reaches (tsc emitted nothing for them). */
async function pruneUnused(): Promise<number> {
  let emitted = 0;
  for (const file of await walk(join(OUT, "src"))) {
    const js = join(OUT, "esm", relative(join(OUT, "src"), file)).replace(/\.ts$/, ".js");
    if (await exists(js)) emitted++;
    else await rm(file);
  }
  return emitted;
}

if (import.meta.main) {
  const start = performance.now();
  const report = await buildNpm({ smoke: !Deno.args.includes("--no-smoke") });
  console.log(
    `build:npm ${report.outDir}: ${report.entries.join(" ")}; ${report.files} modules; ` +
      `${Math.round(performance.now() - start)} ms`,
  );
}
