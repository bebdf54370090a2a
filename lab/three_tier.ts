/**
 * `deno task lab three-tier`: presentation (Hono HTTP) on `web.lab`, business logic with a
 * bounded connection pool on `logic.lab`, SQLite data access on `data.lab`, each its own machine
 * (an OS process by default, or all in the simulator with `--sim`). It prints the URL to open,
 * runs users with think time against the presentation, and reports the latency each tier adds
 * and the messages one user request costs.
 * @module
 */
import { dirname, resolve } from "node:path";
import { ProcessStoppedError } from "../core/errors.ts";
import { machineOf } from "../core/name.ts";
import type { ProcessContext } from "../core/process.ts";
import { createRandom } from "../core/prng.ts";
import type { Trace, TraceEvent } from "../core/trace.ts";
import type { PoolStats } from "../tiers/connection_pool.ts";
import type { HttpRequestMessage, HttpResponseMessage } from "../tiers/three_tier_messages.ts";
import {
  type HttpExchange,
  type RequestRecord,
  runUser,
  type UserAgent,
} from "../tiers/three_tier_workload.ts";
import {
  COMMON_FLAGS,
  COMMON_HELP,
  type CommonOptions,
  intFlag,
  narrate,
  parseCommon,
  parseFlags,
  percentile,
  type Summary,
  table,
  UsageError,
  writeTrace,
} from "./_common.ts";
import {
  CONTROL_MACHINE,
  deploy,
  type Deployment,
  deployOptions,
  type MachineSpec,
} from "./deploy.ts";

const USAGE = `Usage: deno task lab three-tier [flags]

A library catalogue in three tiers, each its own machine: presentation (Hono: an HTML page and
a JSON API) on web.lab, business logic (validation, rules, a bounded connection pool) on
logic.lab, data access (SQLite through node:sqlite) on data.lab. The presentation never
reaches the data tier. Users with think time browse, borrow and return books; the report shows
the latency each tier adds and the messages one user request costs.

Flags:
  --users N             concurrent users (default 5)
  --duration MS         how long the users keep going, in ms (default 3000; virtual with --sim)
  --think MS            mean think time between a user's requests (default 200)
  --pool N              data sessions in the logic tier's pool (default 4)
  --pool-wait MS        most time a request waits for a pooled session (default 500)
  --budget MS           deadline budget of a request without X-Budget-Ms (default 2000)
  --cost P,L,S          modelled work in ms: presentation and logic per request, data per
                        statement (default 0.2,0.5,0.3 with --sim, where time passes only when
                        modelled; 0,0,0 on real processes, where it is measured)
  --db FILE             SQLite file of the data tier (default .lab-data/three-tier.db;
                        --sim uses :memory:)
  --fresh               delete the database file first
  --port N              HTTP port of the presentation (default 0: a free one)
  --serve               real processes only: serve until Ctrl-C instead of running users
${COMMON_HELP}

Try: deno task lab three-tier --sim --seed 7 --crash data.lab@1000..1500 --trace run.mmd`;

/** The machines of the three tiers. */
export const THREE_TIER_MACHINES = {
  presentation: "web.lab",
  logic: "logic.lab",
  data: "data.lab",
} as const;

/** Address of the presentation process. */
export const PRESENTATION = `http@${THREE_TIER_MACHINES.presentation}`;
/** Address of the logic process. */
export const LOGIC = `logic@${THREE_TIER_MACHINES.logic}`;
/** Address of the connection pool process. */
export const POOL = `pool@${THREE_TIER_MACHINES.logic}`;
/** Address of the data process. */
export const DATA = `db@${THREE_TIER_MACHINES.data}`;

const LAB_PROCESSES = new Set([
  `finder@${CONTROL_MACHINE}`,
  `collector@${CONTROL_MACHINE}`,
  `stats@${CONTROL_MACHINE}`,
]);

/** Settings of a three-tier deployment. */
export interface ThreeTierSettings {
  /** Run in the simulator (no HTTP server, `:memory:` database). @default false */
  readonly sim?: boolean;
  /** SQLite file (real mode). @default ":memory:" */
  readonly dbPath?: string;
  /** HTTP port (real mode). @default 0 */
  readonly port?: number;
  /** Sessions in the pool. @default 4 */
  readonly poolSize?: number;
  /** Most ms waiting for a pooled session. @default 500 */
  readonly poolWaitMs?: number;
  /** Default request budget, in ms. @default 2000 */
  readonly budgetMs?: number;
  /** Most ms for one answer of the data tier. @default 1000 */
  readonly dataTimeoutMs?: number;
  /** Modelled work: presentation and logic per request, data per statement. @default all 0 */
  readonly cost?: {
    readonly presentation: number;
    readonly logic: number;
    readonly statement: number;
  };
  /** Where the presentation reports `{kind: "listening", url}`. @default `collector@ctl.lab` in real mode */
  readonly collector?: string;
}

/**
 * The machine specs of the three tiers.
 *
 * @example Three machines, one tier each
 * ```ts
 * import assert from "node:assert/strict";
 * import { threeTierMachines } from "./three_tier.ts";
 * const machines = threeTierMachines({ sim: true });
 * assert.deepEqual(machines.map((m) => m.name), ["web.lab", "logic.lab", "data.lab"]);
 * ```
 */
export function threeTierMachines(settings: ThreeTierSettings = {}): MachineSpec[] {
  const cost = settings.cost ?? { presentation: 0, logic: 0, statement: 0 };
  const real = settings.sim !== true;
  return [
    {
      name: THREE_TIER_MACHINES.presentation,
      processes: [{
        name: "http",
        program: "three-tier-presentation",
        args: {
          logic: LOGIC,
          budgetMs: settings.budgetMs ?? 2000,
          workMs: cost.presentation,
          ...(real ? { port: settings.port ?? 0 } : {}),
          ...(real ? { collector: settings.collector ?? `collector@${CONTROL_MACHINE}` } : {}),
        },
      }],
    },
    {
      name: THREE_TIER_MACHINES.logic,
      processes: [{
        name: "logic",
        program: "three-tier-logic",
        args: {
          data: DATA,
          poolSize: settings.poolSize ?? 4,
          poolWaitMs: settings.poolWaitMs ?? 500,
          dataTimeoutMs: settings.dataTimeoutMs ?? 1000,
          workMs: cost.logic,
        },
      }],
    },
    {
      name: THREE_TIER_MACHINES.data,
      processes: [{
        name: "db",
        program: "three-tier-data",
        args: {
          path: real ? settings.dbPath ?? ":memory:" : ":memory:",
          statementMs: cost.statement,
        },
      }],
    },
  ];
}

/** Options of {@link findUrl}. */
export interface FindUrlOptions {
  /** Give up after this many ms. @default 10000 */
  readonly timeoutMs?: number;
}

/**
 * Finds the presentation's URL on a real deployment: the pushed `listening` message, or else an
 * answer to `where`, asked again until `timeoutMs`.
 *
 * @example In the simulator there is no HTTP server, so no URL
 * ```ts
 * import assert from "node:assert/strict";
 * import { deploy } from "./deploy.ts";
 * import { findUrl, threeTierMachines } from "./three_tier.ts";
 * const deployment = await deploy(threeTierMachines({ sim: true }), { sim: true });
 * const url = findUrl(deployment, { timeoutMs: 300 });
 * await deployment.run(url.catch(() => {}));
 * await assert.rejects(url, /Cannot find the presentation's URL/);
 * ```
 */
export function findUrl(deployment: Deployment, options: FindUrlOptions = {}): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const found = Promise.withResolvers<string>();
  deployment.spawnControl("collector", async (ctx) => {
    const env = await ctx.receive<{ url?: unknown }>({ kind: "listening" });
    if (typeof env.body.url === "string") found.resolve(env.body.url);
  });
  deployment.spawnControl("finder", async (ctx) => {
    const start = ctx.now();
    while (ctx.now() - start < timeoutMs) {
      try {
        const reply = await ctx.request<{ url?: unknown }>(PRESENTATION, { kind: "where" }, {
          timeout: 250,
        });
        if (typeof reply.body.url === "string") return found.resolve(reply.body.url);
      } catch (error) {
        if (error instanceof ProcessStoppedError) throw error;
      }
      await ctx.sleep(100);
    }
    found.reject(
      new Error(
        `Cannot find the presentation's URL: ${PRESENTATION} did not answer within ${timeoutMs} ms`,
      ),
    );
  });
  return found.promise;
}

/** Options of {@link messageAgent} and {@link fetchAgent}. */
export interface AgentOptions {
  /** Most ms to wait for an answer. @default 5000 */
  readonly timeoutMs?: number;
  /** Seed of the think-time generator ({@link fetchAgent}; the simulator has its own). @default 1 */
  readonly seed?: number;
}

/**
 * A user agent that sends HTTP as messages to the presentation process (simulator).
 *
 * @example One user against the three tiers in the simulator
 * ```ts
 * import assert from "node:assert/strict";
 * import { deploy } from "./deploy.ts";
 * import { messageAgent, threeTierMachines } from "./three_tier.ts";
 * import { runUser } from "../tiers/three_tier_workload.ts";
 * const deployment = await deploy(threeTierMachines({ sim: true }), { sim: true });
 * let statuses: number[] = [];
 * const done = Promise.withResolvers<void>();
 * deployment.spawnControl("user", async (ctx) => {
 *   statuses = (await runUser(messageAgent(ctx), { durationMs: 500 })).map((r) => r.status);
 *   done.resolve();
 * });
 * await deployment.run(done.promise);
 * assert.ok(statuses.length > 1 && statuses.every((s) => s > 0 && s < 500));
 * ```
 */
export function messageAgent(ctx: ProcessContext, options: AgentOptions = {}): UserAgent {
  return {
    async send(request: HttpRequestMessage): Promise<HttpExchange> {
      try {
        const reply = await ctx.request<HttpResponseMessage>(PRESENTATION, request, {
          timeout: options.timeoutMs ?? 5000,
        });
        return { status: reply.body.status, headers: reply.body.headers, body: reply.body.body };
      } catch (error) {
        if (error instanceof ProcessStoppedError) throw error;
        return { status: 0, headers: {}, body: String(error) };
      }
    },
    sleep: (ms) => ctx.sleep(ms),
    now: () => ctx.now(),
    random: () => ctx.random(),
  };
}

/**
 * A user agent that sends real HTTP with `fetch` to `base` (real processes).
 *
 * @example No server: the answer has status 0
 * ```ts
 * import assert from "node:assert/strict";
 * import { fetchAgent } from "./three_tier.ts";
 * const agent = fetchAgent("http://127.0.0.1:9/", { timeoutMs: 500 });
 * assert.equal((await agent.send({ kind: "http", method: "GET", path: "/" })).status, 0);
 * ```
 */
export function fetchAgent(base: string, options: AgentOptions = {}): UserAgent {
  const random = createRandom(options.seed ?? 1);
  return {
    async send(request: HttpRequestMessage): Promise<HttpExchange> {
      try {
        const response = await fetch(new URL(request.path, base), {
          method: request.method,
          headers: request.headers,
          body: request.body,
          signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
        });
        const body = await response.text();
        return { status: response.status, headers: Object.fromEntries(response.headers), body };
      } catch (error) {
        return { status: 0, headers: {}, body: String(error) };
      }
    },
    sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
    now: () => performance.now(),
    random: () => random.next(),
  };
}

/** Where a request's time went, per tier, and what it cost in messages. */
export interface TierReport {
  /** Mean and median ms added by each tier; `client` is the network between user and presentation. */
  readonly perTier: Record<string, { mean: number; p50: number }>;
  /** Messages between the tier machines per user request. */
  readonly messagesPerRequest: number;
  /** Messages inside a tier machine (pool leases) per user request. */
  readonly localMessagesPerRequest: number;
  /** Core messages of the run, the lab's own bookkeeping excluded. */
  readonly messages: number;
}

function mean(values: readonly number[]): number {
  return values.length === 0
    ? 0
    : Math.round(values.reduce((a, b) => a + b, 0) / values.length * 1000) / 1000;
}

/**
 * Computes the per-tier latency and the messages per request from `records` and `trace`.
 *
 * @example One request, two messages between tiers
 * ```ts
 * import assert from "node:assert/strict";
 * import { Trace } from "../core/trace.ts";
 * import { tierReport } from "./three_tier.ts";
 * const trace = new Trace();
 * trace.record({ t: 0, ev: "send", at: "a@web.lab", from: "a@web.lab", to: "logic@logic.lab" });
 * trace.record({ t: 1, ev: "send", at: "c@logic.lab", from: "c@logic.lab", to: "a@web.lab" });
 * const report = tierReport([
 *   { action: "list", status: 200, latencyMs: 5, timing: { presentation: 1, logic: 1, net: 2 } },
 * ], trace);
 * assert.equal(report.messagesPerRequest, 2);
 * assert.deepEqual(report.perTier["network user-presentation"], { mean: 1, p50: 1 });
 * ```
 */
export function tierReport(records: readonly RequestRecord[], trace: Trace): TierReport {
  const timed = records.filter((r) => r.status !== 0 && r.timing.presentation !== undefined);
  const perTier: Record<string, { mean: number; p50: number }> = {};
  for (const tier of ["presentation", "logic", "pool", "data", "net"]) {
    const values = timed.map((r) => r.timing[tier] ?? 0);
    perTier[tier === "net" ? "network between tiers" : tier] = {
      mean: mean(values),
      p50: percentile(values, 50),
    };
  }
  const client = timed.map((r) =>
    Math.max(0, r.latencyMs - Object.values(r.timing).reduce((a, b) => a + b, 0))
  );
  perTier["network user-presentation"] = { mean: mean(client), p50: percentile(client, 50) };
  let between = 0, local = 0, messages = 0;
  for (const e of trace.events) {
    if (e.ev !== "send" || e.from === undefined || e.to === undefined) continue;
    if (LAB_PROCESSES.has(e.from) || LAB_PROCESSES.has(e.to)) continue;
    messages++;
    const a = machineOf(e.from), b = machineOf(e.to);
    if (a === CONTROL_MACHINE || b === CONTROL_MACHINE) continue;
    if (a === b) local++;
    else between++;
  }
  const n = Math.max(1, records.length);
  return {
    perTier,
    messagesPerRequest: Math.round(between / n * 1000) / 1000,
    localMessagesPerRequest: Math.round(local / n * 1000) / 1000,
    messages,
  };
}

function parseCost(
  text: unknown,
  sim: boolean,
): { presentation: number; logic: number; statement: number } {
  if (text === undefined) {
    return sim
      ? { presentation: 0.2, logic: 0.5, statement: 0.3 }
      : { presentation: 0, logic: 0, statement: 0 };
  }
  const parts = String(text).split(",").map(Number);
  if (parts.length !== 3 || parts.some((n) => !(n >= 0 && n <= 10_000))) {
    throw new UsageError(
      `Cannot use --cost "${text}": write three ms values P,L,S like 0.2,0.5,0.3`,
      USAGE,
    );
  }
  return { presentation: parts[0], logic: parts[1], statement: parts[2] };
}

interface Run {
  readonly records: RequestRecord[];
  readonly pool?: PoolStats;
  readonly url?: string;
}

async function simLoad(
  deployment: Deployment,
  load: { users: number; durationMs: number; thinkMs: number; budgetMs: number },
): Promise<RequestRecord[]> {
  const records: RequestRecord[] = [];
  const finished: Promise<void>[] = [];
  for (let user = 1; user <= load.users; user++) {
    const done = Promise.withResolvers<void>();
    finished.push(done.promise);
    deployment.spawnControl(`user-${user}`, async (ctx) => {
      const agent = messageAgent(ctx, { timeoutMs: load.budgetMs + 2000 });
      records.push(
        ...await runUser(agent, { user, durationMs: load.durationMs, thinkMs: load.thinkMs }),
      );
      done.resolve();
    });
  }
  await deployment.run(Promise.all(finished));
  return records;
}

async function poolStats(deployment: Deployment): Promise<PoolStats | undefined> {
  const got = Promise.withResolvers<PoolStats | undefined>();
  deployment.spawnControl("stats", async (ctx) => {
    try {
      got.resolve(
        (await ctx.request<PoolStats>(POOL, { kind: "pool-stats" }, { timeout: 1000 })).body,
      );
    } catch {
      got.resolve(undefined);
    }
  });
  await deployment.run(got.promise);
  return await got.promise;
}

async function untilInterrupted(): Promise<void> {
  const stop = Promise.withResolvers<void>();
  const onSignal = () => stop.resolve();
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    await stop.promise;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
  }
}

/**
 * Runs the three-tier architecture; returns the exit code.
 *
 * @example Help
 * ```ts
 * import assert from "node:assert/strict";
 * import { runThreeTier } from "./three_tier.ts";
 * const log = console.log;
 * console.log = () => {};
 * try {
 *   assert.equal(await runThreeTier(["--help"]), 0);
 * } finally {
 *   console.log = log;
 * }
 * ```
 */
export async function runThreeTier(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    ...COMMON_FLAGS,
    users: { type: "string" },
    duration: { type: "string" },
    think: { type: "string" },
    pool: { type: "string" },
    "pool-wait": { type: "string" },
    budget: { type: "string" },
    cost: { type: "string" },
    db: { type: "string" },
    fresh: { type: "boolean" },
    port: { type: "string" },
    serve: { type: "boolean" },
  }, USAGE);
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const common: CommonOptions = parseCommon(values, USAGE);
  const users = intFlag("users", values.users, 5, USAGE, 1);
  const durationMs = intFlag("duration", values.duration, 3000, USAGE, 1);
  const thinkMs = intFlag("think", values.think, 200, USAGE, 0);
  const poolSize = intFlag("pool", values.pool, 4, USAGE, 1);
  const poolWaitMs = intFlag("pool-wait", values["pool-wait"], 500, USAGE, 0);
  const budgetMs = intFlag("budget", values.budget, 2000, USAGE, 1);
  const port = intFlag("port", values.port, 0, USAGE, 0);
  const cost = parseCost(values.cost, common.sim);
  const serve = values.serve === true;
  if (serve && common.sim) {
    throw new UsageError("Cannot use --serve with --sim: the simulator has no sockets", USAGE);
  }
  const dbPath = resolve(typeof values.db === "string" ? values.db : ".lab-data/three-tier.db");
  if (!common.sim) {
    await Deno.mkdir(dirname(dbPath), { recursive: true });
    if (values.fresh === true) {
      for (const suffix of ["", "-wal", "-shm"]) await Deno.remove(dbPath + suffix).catch(() => {});
    }
  }
  const say = (line: string) => {
    if (!common.json) console.log(line);
  };
  say(
    `three-tier: ${users} users for ${durationMs} ms, pool of ${poolSize}, ${
      common.sim
        ? `simulator (seed ${common.seed})`
        : `OS processes on 127.0.0.1, database ${dbPath}`
    }`,
  );
  let narrated = 0;
  const onEvent = common.quiet ? undefined : (event: TraceEvent) => {
    const line = narrate(event);
    if (line === undefined || narrated > 60) return;
    console.log(
      ++narrated > 60
        ? "   ... (narration stops here; --trace FILE keeps every event, -q hides this)"
        : line,
    );
  };
  const machines = threeTierMachines({
    sim: common.sim,
    dbPath,
    port,
    poolSize,
    poolWaitMs,
    budgetMs,
    cost,
  });
  const started = performance.now();
  const deployment = await deploy(machines, deployOptions(common, onEvent));
  let run: Run;
  try {
    for (const p of common.partitions) {
      deployment.partition(p.a, p.b, { at: p.at, until: p.until, oneWay: p.oneWay });
    }
    for (const c of common.crashes) {
      deployment.crash(c.machine, { at: c.at, restartAt: c.restartAt });
    }
    if (common.sim) {
      const records = await simLoad(deployment, { users, durationMs, thinkMs, budgetMs });
      run = { records, pool: await poolStats(deployment) };
    } else {
      const url = await findUrl(deployment);
      say(`open ${url}  (JSON API: ${url}api)`);
      if (serve) {
        say("serving until Ctrl-C");
        await untilInterrupted();
        return 0;
      }
      const load = Promise.all(
        Array.from(
          { length: users },
          (_, i) =>
            runUser(fetchAgent(url, { seed: common.seed * 1000 + i, timeoutMs: budgetMs + 2000 }), {
              user: i + 1,
              durationMs,
              thinkMs,
            }),
        ),
      );
      await deployment.run(load);
      run = { records: (await load).flat(), pool: await poolStats(deployment), url };
    }
    if (common.trace) await writeTrace(deployment.trace, common.trace);
  } finally {
    await deployment.stop();
  }
  const trace = deployment.trace;
  const report = tierReport(run.records, trace);
  const latencies = run.records.filter((r) => r.status !== 0).map((r) => r.latencyMs);
  const statuses: Record<string, number> = {};
  for (const r of run.records) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const errors = run.records.filter((r) => r.status === 0 || r.status >= 500).length;
  const stats = deployment.stats();
  const summary: Summary = {
    architecture: "three-tier",
    transport: deployment.transport,
    seed: common.seed,
    requests: run.records.length,
    messages: report.messages,
    bytes: stats.bytes,
    latency: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    retransmissions: trace.count("retransmit"),
    errors,
    traceDigest: trace.digest(),
    perTier: report.perTier,
    messagesPerRequest: report.messagesPerRequest,
    localMessagesPerRequest: report.localMessagesPerRequest,
    statuses,
    pool: run.pool,
    frames: stats.frames,
    acks: stats.acks,
  };
  if (common.json) {
    console.log(JSON.stringify(summary));
    return 0;
  }
  const tierRows: [string, string][] = Object.entries(report.perTier).map(([tier, t]) => [
    `  ${tier}`,
    `${t.mean.toFixed(3)} ms mean, ${t.p50.toFixed(3)} ms p50`,
  ]);
  const pool = run.pool;
  console.log("");
  console.log(table([
    ["architecture", "three-tier"],
    ["transport", summary.transport],
    ["seed", summary.seed],
    [
      "requests",
      `${summary.requests} (${
        Object.entries(statuses).map(([s, n]) => `${s === "0" ? "no answer" : s}: ${n}`).join(", ")
      })`,
    ],
    ["latency p50", `${summary.latency.p50.toFixed(3)} ms`],
    ["latency p99", `${summary.latency.p99.toFixed(3)} ms`],
    ["latency added per tier", ""],
    ...tierRows,
    [
      "messages per request",
      `${report.messagesPerRequest} between tiers, ${report.localMessagesPerRequest} inside a tier` +
      (common.sim ? " (+2 for the HTTP request and response)" : " (+ the HTTP exchange)"),
    ],
    ["messages", `${summary.messages} (frames on the wire ${stats.frames}, acks ${stats.acks})`],
    ["bytes", summary.bytes],
    [
      "connection pool",
      pool === undefined
        ? "no answer"
        : `size ${pool.size}, leases ${pool.acquired}, waited ${pool.waited}, timeouts ${pool.timeouts}, longest queue ${pool.maxQueued}`,
    ],
    ["retransmissions", summary.retransmissions],
    ["errors (5xx, no answer)", summary.errors],
    ["trace digest", summary.traceDigest.slice(0, 16)],
    ["wall time", `${(performance.now() - started).toFixed(0)} ms`],
  ]));
  if (common.trace) console.log(`trace written to ${common.trace}`);
  return 0;
}
