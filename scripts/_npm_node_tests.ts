/**
 * Runs the core's own test files under Node against the npm build's sources: copies them beside
 * `dist/npm/src` (each importing `Deno` from the `Deno.test`-on-`node:test` shim), compiles with
 * the package's `tsc` settings and runs them with `node --test`.
 * @module
 */
import { cp, mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { CACHE, OUT, ROOT, run } from "./_npm_run.ts";

/** The core test files that run under Node: they use `Deno.test` and nothing else of `Deno`. */
export const NODE_TESTS: readonly string[] = [
  "causality",
  "directory",
  "envelope_auth",
  "flow_control",
  "frame",
  "handlers",
  "machine",
  "mailbox",
  "name",
  "reliable_channel",
  "simulator",
  "simulator_strands",
  "trace",
].map((name) => `tests/${name}_test.ts`);

/** What `node --test` reported. */
export interface NodeTestReport {
  /** Tests passed. */
  readonly passed: number;
  /** Tests failed. */
  readonly failed: number;
  /** The runner's output. */
  readonly output: string;
}

/**
 * Copies, compiles and runs {@link NODE_TESTS} under Node; `modules` holds `typescript` and
 * `@types/node`. Rejects when a test fails, with the runner's output.
 */
export async function runNodeTests(modules: string): Promise<NodeTestReport> {
  const dir = join(CACHE, "node-tests");
  await rm(dir, { recursive: true, force: true });
  await cp(join(OUT, "src"), join(dir, "src"), { recursive: true });
  await cp(join(ROOT, "scripts", "npm_deno", "test.ts"), join(dir, "src", "_deno", "test.ts"));
  for (const file of [...NODE_TESTS, "tests/_assert.ts"]) {
    let text = await readFile(join(ROOT, file), "utf8");
    if (/\bDeno\./.test(text)) {
      const shim = relative(dirname(join(dir, "src", file)), join(dir, "src", "_deno", "test.ts"));
      text = `import { Deno } from "${shim.startsWith(".") ? shim : `./${shim}`}";\n` + text;
    }
    await mkdir(dirname(join(dir, "src", file)), { recursive: true });
    await writeFile(join(dir, "src", file), text);
  }
  const tsconfig = {
    compilerOptions: {
      target: "ES2022",
      lib: ["ES2022", "ES2024.Promise"],
      module: "NodeNext",
      moduleResolution: "NodeNext",
      rewriteRelativeImportExtensions: true,
      strict: true,
      skipLibCheck: true,
      noImplicitAny: false,
      types: ["node"],
      rootDir: "src",
      outDir: "esm",
      newLine: "lf",
    },
    files: NODE_TESTS.map((file) => `src/${file}`),
  };
  await writeFile(join(dir, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));
  await symlink(modules, join(dir, "node_modules"));
  await writeFile(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  await run("node", [join(modules, "typescript", "bin", "tsc"), "-p", "tsconfig.json"], dir);
  const files = NODE_TESTS.map((file) => join("esm", file.replace(/\.ts$/, ".js")));
  let output: string;
  try {
    output = await run("node", ["--test", "--test-reporter=tap", ...files], dir, 240_000);
  } catch (error) {
    throw new Error(`Cannot pass the core's tests under Node: ${(error as Error).message}`);
  }
  const count = (label: string) => Number(new RegExp(`^# ${label} (\\d+)$`, "m").exec(output)?.[1]);
  const report = { passed: count("pass"), failed: count("fail"), output };
  if (!(report.passed > 0) || report.failed !== 0) {
    throw new Error(`Cannot pass the core's tests under Node: the runner reported\n${output}`);
  }
  return report;
}
