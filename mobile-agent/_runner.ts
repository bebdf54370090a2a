/**
 * The sandbox's child: started by {@link ../sandbox.ts} as `deno run --no-remote` with no
 * permission flag and a cleared environment. It reads one job (a visit or a merge) as a JSON line
 * on stdin, imports the agent's source from a `data:` URL (which needs no permission), runs the
 * entry point, and writes JSON lines on stdout: queries for the node's data, log lines, refused
 * permissions, and the end (or the failure). It exits when the job ends or stdin closes.
 *
 * Security does not rest on this file: the permissions Deno refuses do. This file only reports
 * what the agent tried, so the node can tell the owner.
 * @module
 */
import type { Json } from "./agent_package.ts";
import type { AgentView } from "./agent_context.ts";
import type { AgentQuery, Row } from "./query.ts";
import { type AgentModule, classify, moduleUrl, runEntry, runMerge } from "./_run_entry.ts";

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
const stdout = Deno.stdout;
const exit = Deno.exit;
let chain: Promise<void> = Promise.resolve();

/** Writes one line, in order, all of it. */
function send(line: Record<string, unknown>): Promise<void> {
  const bytes = encoder.encode(stringify(line) + "\n");
  chain = chain.then(async () => {
    for (let at = 0; at < bytes.length;) at += await stdout.write(bytes.subarray(at));
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

let url = "";
let label = "agent";
const pending = new Map<number, { resolve(rows: Row[]): void; reject(e: Error): void }>();
let nextQuery = 0;

function noteDenied(error: unknown): void {
  const c = classify(error, label);
  if (c.reason === "denied") void send({ t: "denied", message: c.message });
}

function watch(target: Record<string, unknown>, key: string): void {
  const descriptor = Object.getOwnPropertyDescriptor(target, key);
  const original = descriptor?.value;
  if (typeof original !== "function" || !descriptor?.writable) return;
  const source = Function.prototype.toString.call(original);
  if (source.startsWith("class")) {
    const proto = (original as { prototype?: Record<string, unknown> }).prototype;
    if (proto) {
      for (const k of Object.getOwnPropertyNames(proto)) if (k !== "constructor") watch(proto, k);
    }
    return;
  }
  try {
    target[key] = function (this: unknown, ...args: unknown[]) {
      try {
        const value = Reflect.apply(original, this, args);
        if (value instanceof Promise) {
          return value.then(undefined, (error) => {
            noteDenied(error);
            throw error;
          });
        }
        return value;
      } catch (error) {
        noteDenied(error);
        throw error;
      }
    };
  } catch {
    // A read-only property: Deno still refuses the call, it just goes unreported here.
  }
}

function guard(): void {
  const deno = Deno as unknown as Record<string, unknown>;
  for (const key of Object.keys(deno)) watch(deno, key);
  const env = Deno.env as unknown as Record<string, unknown>;
  for (const key of ["get", "set", "delete", "has", "toObject"]) watch(env, key);
  watch(globalThis as unknown as Record<string, unknown>, "fetch");
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
  url = moduleUrl(job.code, job.lang);
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

async function main(): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = "";
  let started = false;
  for await (const chunk of Deno.stdin.readable) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
      const text = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      const line = parse(text) as Job | Answer;
      if (line.t === "rows") {
        const waiter = pending.get(line.n);
        pending.delete(line.n);
        if (line.error !== undefined) waiter?.reject(new Error(line.error));
        else waiter?.resolve(line.rows ?? []);
      } else if (!started) {
        started = true;
        void run(line);
      }
    }
  }
  exit(0);
}

await main();
