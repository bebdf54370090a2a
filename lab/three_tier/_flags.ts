/**
 * The command line of `lab three-tier`: its usage text and the parsing of its flags into the
 * settings of one run, with a {@link UsageError} for every mistake.
 * @module
 */
import { resolve } from "node:path";
import { checkPostgresUrl, redactPostgresUrl } from "../../tiers/three_tier/postgres_connection.ts";
import {
  checkFaultTargets,
  COMMON_FLAGS,
  COMMON_HELP,
  type CommonOptions,
  type FlagSpec,
  intFlag,
  openCommand,
  refuseFlags,
  UsageError,
} from "../_common.ts";
import { THREE_TIER_MACHINES } from "./_machines.ts";
import { DELAY_DEFAULT, delayTimeout } from "../_delay_timeouts.ts";

/** Usage text of `lab three-tier`. */
export const THREE_TIER_USAGE = `Usage: deno task lab three-tier [flags]

A library catalogue in three tiers, each its own machine: presentation (Hono: an HTML page and
a JSON API) on web.lab, business logic (validation, rules, a bounded connection pool) on
logic.lab, data access (SQLite through node:sqlite, or PostgreSQL given --db postgres://...)
on data.lab. The presentation never
reaches the data tier. Users with think time browse, borrow and return books; the report shows
the latency each tier adds and the messages one user request costs.

Runs on: OS processes on 127.0.0.1, one per tier, with users over real HTTP (default), or the
deterministic simulator with --sim (users send messages from the lab's own machine, which faults
never touch, as HTTP is never faulted on real processes).

Flags:
  --users N             concurrent users (default 5)
  --duration MS         how long the users keep going, in ms (default 3000; virtual with --sim)
  --think MS            mean think time between a user's requests (default 200)
  --pool N              data sessions in the logic tier's pool (default 4)
  --pool-wait MS        most time a request waits for a pooled session (default 500 ms,
                        ${DELAY_DEFAULT})
  --budget MS           deadline budget of a request without X-Budget-Ms (default 2000 ms,
                        ${DELAY_DEFAULT}); the logic tier waits for the data tier
                        1000 ms, ${DELAY_DEFAULT}
  --cost P,L,S          modelled work in ms: presentation and logic per request, data per
                        statement (default 0.2,0.5,0.3 with --sim, where time passes only when
                        modelled; 0,0,0 on real processes, where it is measured)
  --db FILE|URL         SQLite file of the data tier (default .lab-data/three-tier.db;
                        --sim uses :memory:), or a PostgreSQL URL
                        postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (tables books and
                        loans, made when missing; real processes only)
  --fresh               delete the database file first (PostgreSQL: drop those two tables)
  --port N              HTTP port of the presentation (default 0: a free one)
  --serve               real processes only: serve until Ctrl-C instead of running users
${COMMON_HELP}

Examples:
  deno task lab three-tier
  deno task lab three-tier --serve --port 8080                  # then open http://127.0.0.1:8080/
  deno task lab three-tier --db postgres://lab@127.0.0.1:5432/library
  deno task lab three-tier --sim --seed 7 --crash data.lab@1000..1500 --trace run.mmd`;

/** Modelled work in ms: presentation and logic per request, data per statement. */
export interface TierCost {
  presentation: number;
  logic: number;
  statement: number;
}

/** The parsed flags of one `lab three-tier` run. */
export interface ThreeTierArgs {
  /** The common run flags. */
  readonly common: CommonOptions;
  readonly users: number;
  readonly durationMs: number;
  readonly thinkMs: number;
  readonly poolSize: number;
  readonly poolWaitMs: number;
  readonly budgetMs: number;
  readonly port: number;
  readonly cost: TierCost;
  readonly serve: boolean;
  /** Absolute path of the SQLite file (unused with {@link dbUrl}). */
  readonly dbPath: string;
  /** The PostgreSQL URL given to `--db`, if one was. */
  readonly dbUrl?: string;
  readonly fresh: boolean;
}

/** The flags of `lab three-tier`. */
const THREE_TIER_FLAGS: Readonly<Record<string, FlagSpec>> = {
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
};

/**
 * The PostgreSQL URL `--db` gives, checked (refused with `--sim`); undefined for a SQLite file
 * or no `--db`. Anything with a scheme is a URL, never a file name: it must be PostgreSQL's.
 */
function postgresUrl(db: string | undefined, sim: boolean): string | undefined {
  const dbUrl = db !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(db) ? db : undefined;
  if (dbUrl === undefined) return undefined;
  try {
    checkPostgresUrl(dbUrl, { label: "--db" });
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    throw new UsageError(error.message, THREE_TIER_USAGE);
  }
  if (sim) {
    throw new UsageError(
      `Cannot use --db ${
        redactPostgresUrl(dbUrl)
      } with --sim: a PostgreSQL server is real I/O outside the simulator's virtual time; ` +
        "drop --sim to run the tiers as OS processes, or drop --db",
      THREE_TIER_USAGE,
    );
  }
  return dbUrl;
}

/**
 * Parses the flags of `lab three-tier`; returns `"help"` for `--help`, throws a
 * {@link UsageError} for a bad flag.
 */
export function parseThreeTierArgs(args: string[]): ThreeTierArgs | "help" {
  const opened = openCommand(args, THREE_TIER_FLAGS, THREE_TIER_USAGE, null);
  if (opened === undefined) return "help";
  const { values } = opened;
  const common: CommonOptions = opened.common;
  checkFaultTargets(common, Object.values(THREE_TIER_MACHINES), THREE_TIER_USAGE);
  const db = typeof values.db === "string" ? values.db : undefined;
  const dbUrl = postgresUrl(db, common.sim);
  if (common.sim) {
    const memory = "with --sim the data tier keeps its database in memory";
    refuseFlags(values, {
      db: memory,
      fresh: memory,
      port: "with --sim there is no HTTP server (users send messages)",
    }, THREE_TIER_USAGE);
  }
  const users = intFlag("users", values.users, 5, THREE_TIER_USAGE, 1);
  const durationMs = intFlag("duration", values.duration, 3000, THREE_TIER_USAGE, 1);
  const thinkMs = intFlag("think", values.think, 200, THREE_TIER_USAGE, 0);
  const poolSize = intFlag("pool", values.pool, 4, THREE_TIER_USAGE, 1);
  // A session is held while logic and data exchange up to twice: 4 trips.
  const poolWaitMs = intFlag(
    "pool-wait",
    values["pool-wait"],
    delayTimeout(500, common.latency, 4),
    THREE_TIER_USAGE,
    0,
  );
  // A request crosses web-logic, and logic-data up to twice (open a session, run it): 6 trips.
  const budgetMs = intFlag(
    "budget",
    values.budget,
    delayTimeout(2000, common.latency, 6),
    THREE_TIER_USAGE,
    1,
  );
  const port = intFlag("port", values.port, 0, THREE_TIER_USAGE, 0);
  const cost = parseCost(values.cost, common.sim);
  const serve = values.serve === true;
  if (serve && common.sim) {
    throw new UsageError(
      "Cannot use --serve with --sim: the simulator has no sockets",
      THREE_TIER_USAGE,
    );
  }
  const dbPath = resolve(db === undefined || dbUrl !== undefined ? ".lab-data/three-tier.db" : db);
  return {
    common,
    users,
    durationMs,
    thinkMs,
    poolSize,
    poolWaitMs,
    budgetMs,
    port,
    cost,
    serve,
    dbPath,
    ...(dbUrl === undefined ? {} : { dbUrl }),
    fresh: values.fresh === true,
  };
}

function parseCost(
  text: unknown,
  sim: boolean,
): TierCost {
  if (text === undefined) {
    return sim
      ? { presentation: 0.2, logic: 0.5, statement: 0.3 }
      : { presentation: 0, logic: 0, statement: 0 };
  }
  const parts = String(text).split(",").map(Number);
  if (parts.length !== 3 || parts.some((n) => !(n >= 0 && n <= 10_000))) {
    throw new UsageError(
      `Cannot use --cost "${text}": write three ms values P,L,S like 0.2,0.5,0.3`,
      THREE_TIER_USAGE,
    );
  }
  return { presentation: parts[0], logic: parts[1], statement: parts[2] };
}
