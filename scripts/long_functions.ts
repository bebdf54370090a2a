/**
 * Lists the functions longer than a bound (the team's ~80 lines, issue 9.5), longest first:
 * length, name and where it starts. Functions, methods, constructors, accessors, arrows and
 * function expressions count, each on its own (a closure inside a long function is listed too).
 *
 *     deno run --allow-read --allow-env scripts/long_functions.ts               # every folder, > 80 lines
 *     deno run --allow-read --allow-env scripts/long_functions.ts --min 60 lab proxy
 *
 * Tests, benchmarks and dist/ are left out unless named.
 * @module
 */
import ts from "typescript";

/** A function over the bound. */
export interface LongFunction {
  /** Its name, or `<anonymous>` for an arrow or expression bound to nothing. */
  readonly name: string;
  /** The file it is in. */
  readonly file: string;
  /** The line it starts on (1-based). */
  readonly line: number;
  /** Its length in lines, first and last included. */
  readonly lines: number;
}

function nameOf(node: ts.Node): string {
  const named = (node as ts.FunctionDeclaration).name;
  if (named !== undefined) return named.getText();
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) {
    return parent.name.getText();
  }
  if (ts.isPropertyDeclaration(parent)) return parent.name.getText();
  if (ts.isConstructorDeclaration(node)) return "constructor";
  return "<anonymous>";
}

/**
 * The functions of `source` (the text of `file`) longer than `min` lines, in source order.
 *
 * @example A long arrow and a short function
 * ```ts
 * import assert from "node:assert/strict";
 * import { longFunctions } from "./long_functions.ts";
 * const body = Array.from({ length: 5 }, (_, i) => `  const x${i} = ${i};`).join("\n");
 * const source = `const long = () => {\n${body}\n};\nfunction short() {}\n`;
 * assert.deepEqual(longFunctions(source, "a.ts", 4), [
 *   { name: "long", file: "a.ts", line: 1, lines: 7 },
 * ]);
 * ```
 */
export function longFunctions(source: string, file: string, min: number): LongFunction[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const found: LongFunction[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && "body" in node && node.body !== undefined) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > min) found.push({ name: nameOf(node), file, line: start + 1, lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

const SKIPPED = new Set(["node_modules", "dist", "tests", "bench"]);

async function* tsFiles(path: string, top: boolean): AsyncGenerator<string> {
  const info = await Deno.stat(path);
  if (info.isFile) {
    if (path.endsWith(".ts")) yield path;
    return;
  }
  for await (const entry of Deno.readDir(path)) {
    if (entry.name.startsWith(".") || (top && SKIPPED.has(entry.name))) continue;
    const child = path === "." ? entry.name : `${path}/${entry.name}`;
    yield* tsFiles(child, false);
  }
}

if (import.meta.main) {
  const args = [...Deno.args];
  let min = 80;
  const at = args.indexOf("--min");
  if (at >= 0) {
    min = Number(args[at + 1]);
    if (!Number.isInteger(min) || min < 1) {
      console.error(`Cannot use --min "${args[at + 1]}": give a whole number of lines >= 1`);
      Deno.exit(2);
    }
    args.splice(at, 2);
  }
  const found: LongFunction[] = [];
  for (const root of args.length === 0 ? ["."] : args) {
    for await (const file of tsFiles(root, root === ".")) {
      found.push(...longFunctions(await Deno.readTextFile(file), file, min));
    }
  }
  found.sort((a, b) => b.lines - a.lines);
  for (const f of found) {
    console.log(`${String(f.lines).padStart(4)}  ${f.name}  ${f.file}:${f.line}`);
  }
}
