/**
 * The sandbox's child: started by {@link ../sandbox.ts} as `deno run --no-remote` with no
 * permission flag and a cleared environment. It reads one job (a visit or a merge) as a JSON line
 * on stdin, imports the agent's source from a `data:` URL (which needs no permission), runs the
 * entry point, and writes JSON lines on stdout: queries for the node's data, log lines, refused
 * permissions (caught by the agent or not), and the end (or the failure). It exits when the job
 * ends or stdin closes. Before the agent's module loads it locks the child down
 * ({@link ./_lockdown.ts}: denials recorded, Workers refused).
 *
 * Security does not rest on this file: the permissions Deno refuses and the kernel's limits do.
 * This file only reports what the agent tried, so the node can tell the owner.
 * @module
 */
import type { Json } from "./agent_package.ts";
import type { AgentView } from "./agent_context.ts";
import type { AgentQuery, Row } from "./query.ts";
import {
  type AgentModule,
  classify,
  cleanText,
  moduleUrl,
  runEntry,
  runMerge,
} from "./_run_entry.ts";
import { LineSplitter } from "./_line_reader.ts";
import { lockDown } from "./_lockdown.ts";

/** A job from the node. */
type Job =
  | {
    t: "visit";
    code: string;
    lang: "js" | "ts";
    codeHash: string;
    entry: string;
    view: AgentView;
  }
  | { t: "merge"; code: string; lang: "js" | "ts"; codeHash: string; results: Json[] };

/** Answers to queries. */
type Answer = { t: "rows"; n: number; rows?: Row[]; error?: string };

const stringify = JSON.stringify;
const parse = JSON.parse;
const encoder = new TextEncoder();
const encode = encoder.encode.bind(encoder);
const write = Deno.stdout.write.bind(Deno.stdout);
const exit = Deno.exit;
/** Longest line the node may send (a query's rows). */
const MAX_INPUT_LINE = 256 * 1024 * 1024;
let chain: Promise<void> = Promise.resolve();

/** Writes one line, in order, all of it. */
function send(line: Record<string, unknown>): Promise<void> {
  const bytes = encode(stringify(line) + "\n");
  chain = chain.then(async () => {
    for (let at = 0; at < bytes.length;) at += await write(bytes.subarray(at));
  });
  return chain;
}

async function finish(line: Record<string, unknown>): Promise<never> {
  try {
    await send(line);
  } finally {
    exit(0);
  }
  throw new Error("unreachable");
}

let label = "agent";
const pending = new Map<number, { resolve(rows: Row[]): void; reject(e: Error): void }>();
let nextQuery = 0;
let denials = 0;

function guard(): void {
  lockDown((message) => {
    // The node keeps 20: more would only repeat the point and fill its memory.
    if (++denials <= 20) void send({ t: "denied", message: cleanText(message, label) });
  });
  const sink = (...parts: unknown[]) =>
    void send({
      t: "log",
      line: parts.map((p) => typeof p === "string" ? p : stringify(p)).join(" ").slice(0, 2000),
    });
  const con = console as unknown as Record<string, unknown>;
  for (const key of ["log", "info", "warn", "error", "debug", "trace", "dir", "table"]) {
    con[key] = sink;
  }
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    const c = classify(event.reason, label);
    void finish({ t: "fail", ...c });
  });
  globalThis.addEventListener("error", (event) => {
    event.preventDefault();
    const c = classify(event.error, label);
    void finish({ t: "fail", ...c });
  });
}

async function run(job: Job): Promise<void> {
  const url = moduleUrl(job.code, job.lang);
  label = `agent:${job.codeHash.slice(0, 12)}`;
  guard();
  let mod: AgentModule;
  try {
    mod = await import(url);
  } catch (error) {
    const c = classify(error, label);
    await finish({
      t: "fail",
      reason: c.reason,
      message: `Cannot load agent module: ${c.message}`,
    });
    return;
  }
  try {
    if (job.t === "merge") {
      await finish({ t: "merged", ...(await runMerge(mod, job.results)) });
    } else {
      const query = (q: AgentQuery) =>
        new Promise<Row[]>((resolve, reject) => {
          const n = nextQuery++;
          pending.set(n, { resolve, reject });
          void send({ t: "query", n, query: q });
        });
      const end = await runEntry(mod, {
        entry: job.entry,
        view: job.view,
        query,
        log: (line) => void send({ t: "log", line }),
      });
      await finish({ t: "end", end });
    }
  } catch (error) {
    await finish({ t: "fail", ...classify(error, label) });
  }
}

function onLine(text: string, started: { value: boolean }): void {
  const line = parse(text) as Job | Answer;
  if (line.t === "rows") {
    const waiter = pending.get(line.n);
    pending.delete(line.n);
    if (line.error !== undefined) waiter?.reject(new Error(line.error));
    else waiter?.resolve(line.rows ?? []);
  } else if (!started.value) {
    started.value = true;
    void run(line);
  }
}

async function main(): Promise<void> {
  const splitter = new LineSplitter(MAX_INPUT_LINE);
  const started = { value: false };
  for await (const chunk of Deno.stdin.readable) {
    if (!splitter.push(chunk, (text) => onLine(text, started))) {
      await finish({
        t: "fail",
        reason: "threw",
        message: `Cannot read from the node: a line is longer than ${MAX_INPUT_LINE} bytes`,
      });
    }
  }
  exit(0);
}

await main();
