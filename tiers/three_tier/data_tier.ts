/**
 * The data tier: a process that owns the database (SQLite by default, PostgreSQL when given a
 * URL) and runs one transaction per operation for the sessions the logic tier opens. It bounds the sessions (like a database
 * server's connection limit), rejects stale sessions after a restart, and refuses work whose
 * budget is spent (rolling back rather than committing what nobody waits for).
 * @module
 */
import type { Envelope } from "../../core/envelope.ts";
import { ProcessStoppedError } from "../../core/errors.ts";
import type { ProcessContext, ProcessFn } from "../../core/process.ts";
import { argReader } from "./_args.ts";
import { Deadline, DeadlineExceededError } from "./deadline.ts";
import { type LibraryStorage, StoreError } from "./library_storage.ts";
import { openLibraryStorage } from "./open_library_storage.ts";
import { checkPostgresUrl, isPostgresUrl, redactPostgresUrl } from "./postgres_connection.ts";
import { type DataOp, type DataReply, isRecord, type TierError } from "./messages.ts";

const DATA_OPS: ReadonlySet<string> = new Set<DataOp>([
  "overview",
  "listBooks",
  "getBook",
  "addBook",
  "borrow",
  "giveBack",
  "listLoans",
]);

/** Arguments of the `three-tier-data` program. */
export interface DataTierArgs {
  /** SQLite file, or `:memory:`. @default ":memory:" */
  readonly path?: string;
  /**
   * PostgreSQL URL (`postgres://user@host:port/database`): keep the catalogue there instead of
   * SQLite (runs on real sockets only; not with `path`). @default none
   */
  readonly url?: string;
  /** With `url`: most ms to wait for the server to accept a connection. @default 5000 */
  readonly connectTimeoutMs?: number;
  /** Most sessions open at once. @default 16 */
  readonly maxConnections?: number;
  /** Modelled cost of each statement step, in ms (0: none). @default 0 */
  readonly statementMs?: number;
  /** Fill an empty catalogue with a dozen books. @default true */
  readonly seedCatalogue?: boolean;
}

/**
 * The data tier program. The database is opened once per program instance and outlives
 * crashes of the machine (it is the disk); a transaction a crash left open is rolled back at
 * the next boot, as SQLite's journal does when a file is reopened (PostgreSQL rolls back the
 * transaction of a connection that ends). With `url` it fails at start inside the simulator:
 * a real database is I/O outside virtual time.
 *
 * @example Open a session, borrow a book
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../../core/simulator/simulator.ts";
 * import { dataTier } from "./data_tier.ts";
 * const sim = new Simulator({ seed: 1 });
 * sim.machine("data.lab").spawn("db", dataTier({ path: ":memory:" }));
 * let kind = "";
 * sim.machine("logic.lab").spawn("t", async (ctx) => {
 *   const opened = await ctx.request<{ session: string }>("db@data.lab", { kind: "open" });
 *   const reply = await ctx.request("db@data.lab", {
 *     kind: "exec", traceId: "t1", session: opened.body.session, op: "borrow", budgetMs: 100,
 *     params: { bookId: 1, member: "ada", maxLoans: 3 },
 *   });
 *   kind = reply.kind;
 * });
 * await sim.run();
 * assert.equal(kind, "data-ok");
 * ```
 */
export function dataTier(args: Readonly<Record<string, unknown>>): ProcessFn {
  const read = argReader("the data tier", args);
  const url = read.optionalString("url");
  const path = read.string("path", ":memory:");
  if (url !== undefined) {
    if (args.path !== undefined) {
      throw new TypeError(
        `Cannot start the data tier: give path ${JSON.stringify(path)} (SQLite) or url ${
          JSON.stringify(redactPostgresUrl(url))
        } (PostgreSQL), not both`,
      );
    }
    checkPostgresUrl(url);
  } else if (isPostgresUrl(path)) {
    throw new TypeError(
      `Cannot start the data tier: path ${
        JSON.stringify(redactPostgresUrl(path))
      } is a PostgreSQL URL; pass it as url`,
    );
  }
  const connectTimeoutMs = read.number("connectTimeoutMs", { fallback: 5000, min: 1 });
  const maxConnections = read.number("maxConnections", { fallback: 16, min: 1, integer: true });
  const statementMs = read.number("statementMs", { fallback: 0 });
  const seedCatalogue = read.boolean("seedCatalogue", true);
  let opening: Promise<LibraryStorage> | undefined;
  return async (ctx: ProcessContext): Promise<void> => {
    if (url !== undefined && ctx.runtime === "sim") {
      throw new TypeError(
        `Cannot open PostgreSQL at ${
          redactPostgresUrl(url)
        } in the simulator: a real database is I/O outside virtual time; run on real sockets ` +
          "(lab three-tier without --sim), or use SQLite (path) in the simulator",
      );
    }
    opening ??= openLibraryStorage(url ?? path, { seedCatalogue, connectTimeoutMs });
    const store = await opening;
    if (await store.recover()) ctx.log("recovery: rolled back a transaction a crash left open");
    const tag = Math.floor(ctx.random() * 36 ** 4).toString(36);
    const sessions = new Set<string>();
    let opened = 0;
    for (;;) {
      const env = await ctx.receive();
      const body = env.body;
      if (!isRecord(body)) {
        if (env.corr !== undefined) {
          await answer(ctx, env, 0, invalid("the message is not an object"));
        }
        continue;
      }
      if (env.kind === "open" && env.corr !== undefined) {
        if (sessions.size >= maxConnections) {
          await answer(ctx, env, 0, {
            code: "unavailable",
            message: `Cannot open a data session: all ${maxConnections} are open; close one or ` +
              "raise maxConnections",
          });
        } else {
          const session = `s${tag}-${++opened}`;
          sessions.add(session);
          await ctx.reply(env, { kind: "opened", session } satisfies DataReply);
        }
      } else if (env.kind === "close") {
        sessions.delete(String(body.session));
      } else if (env.kind === "exec" && env.corr !== undefined) {
        await exec(ctx, env, body, { store, sessions, statementMs });
      } else if (env.corr !== undefined) {
        await answer(ctx, env, 0, invalid(`unknown message kind "${env.kind}"`));
      }
    }
  };
}

function invalid(problem: string): TierError {
  return {
    code: "invalid",
    message: `Cannot serve the data request: ${problem}; send open, exec or close`,
  };
}

function answer(
  ctx: ProcessContext,
  env: Envelope,
  started: number,
  error: TierError,
  stale?: true,
): Promise<void> {
  const body = env.body as { traceId?: unknown } | null;
  const traceId = typeof body?.traceId === "string" ? body.traceId : "-";
  const reply: DataReply = {
    kind: "data-error",
    traceId,
    error,
    dataMs: round(ctx.now() - started),
    ...(stale ? { stale } : {}),
  };
  return ctx.reply(env, reply);
}

async function exec(
  ctx: ProcessContext,
  env: Envelope,
  body: Record<string, unknown>,
  tier: { store: LibraryStorage; sessions: Set<string>; statementMs: number },
): Promise<void> {
  const started = ctx.now();
  const traceId = typeof body.traceId === "string" ? body.traceId : "-";
  const { op, session, budgetMs, params } = body;
  if (typeof session !== "string" || !tier.sessions.has(session)) {
    return answer(ctx, env, started, {
      code: "unavailable",
      message: `Cannot run the data request: session ${JSON.stringify(session)} is not open ` +
        "(the data tier restarted?); open a new session",
    }, true);
  }
  if (typeof op !== "string" || !DATA_OPS.has(op)) {
    return answer(ctx, env, started, invalid(`unknown operation ${JSON.stringify(op)}`));
  }
  if (typeof budgetMs !== "number" || !Number.isFinite(budgetMs) || !isRecord(params)) {
    return answer(ctx, env, started, invalid("budgetMs must be a number and params an object"));
  }
  const deadline = new Deadline(budgetMs, { start: started });
  try {
    deadline.check(started, "data", `starting ${op}`);
    const value = await tier.store.run(op as DataOp, params, traceId, {
      step: tier.statementMs > 0 ? () => ctx.sleep(tier.statementMs) : undefined,
      beforeCommit: () => deadline.check(ctx.now(), "data", `committing ${op}; rolled back`),
    });
    const reply: DataReply = {
      kind: "data-ok",
      traceId,
      value,
      dataMs: round(ctx.now() - started),
    };
    await ctx.reply(env, reply);
  } catch (error) {
    if (error instanceof StoreError) {
      return answer(ctx, env, started, { code: error.code, message: error.message });
    }
    if (error instanceof DeadlineExceededError) {
      return answer(ctx, env, started, { code: "deadline", message: error.message });
    }
    if (error instanceof ProcessStoppedError) throw error;
    await answer(ctx, env, started, {
      code: "internal",
      message: `Cannot run ${op}: ${(error as Error)?.message ?? error}`,
    });
    // The caller has its "internal" answer; anything but a store or deadline error is a bug.
    throw error;
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
