/**
 * The presentation tier's Hono app: an HTML page and a JSON API over the library. It never
 * touches data: every handler calls the logic tier through `c.env.call`, which the serving
 * process binds to its own process context (strict layering). The app itself holds no state and
 * awaits only `c.env.call` and pure promises, so it runs the same under `Deno.serve` and, fed
 * `Request` objects built from messages, inside the deterministic simulator.
 * @module
 */
import { type Context, Hono } from "hono";
import { renderErrorPage, renderPage } from "./presentation_page.ts";
import type { Overview } from "./presentation_page.ts";
import { STATUS_OF, type TierError } from "./messages.ts";

/** The result of a logic call as the app sees it. */
export type CallOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: TierError };

/** What the serving process binds for each request (Hono's `c.env`). */
export interface PresentationEnv {
  /** This request's trace id, sent along to every tier. */
  readonly traceId: string;
  /** A problem with the request's `X-Budget-Ms` header, if any (answered with 400). */
  readonly budgetProblem?: string;
  /** Calls logic operation `op` with `input`; never rejects. */
  call(op: string, input?: unknown): Promise<CallOutcome>;
  /** The `Server-Timing` header value for the time spent so far. */
  serverTiming(): string;
}

/** The presentation app (a Hono app inside): serve it with `fetch(request, env)`. */
export interface PresentationApp {
  /** Answers one HTTP request, calling the logic tier through `env`. */
  fetch(request: Request, env: PresentationEnv): Response | Promise<Response>;
}

/**
 * Largest request body accepted, in bytes; a larger one is answered 413 as soon as its count
 * passes this, chunked or not, without reading the rest.
 */
export const MAX_BODY_BYTES = 65_536;

/** The routes, as listed by `GET /api`. */
export const ROUTES: readonly string[] = [
  "GET  /                       the catalogue page (HTML)",
  "GET  /api/books?q=TEXT       books whose title or author contains TEXT",
  "GET  /api/books/:id          one book",
  "POST /api/books              add a book {isbn, title, author, copies}",
  "GET  /api/loans?member=NAME  loans on issue (of one member)",
  "POST /api/loans              borrow {bookId, member}",
  "POST /api/loans/:id/return   return a loan",
  "GET  /api/stats              the logic tier's connection pool counters",
];

type Ctx = Context<{ Bindings: PresentationEnv }>;

/** Headers every answer carries; given when the response is made (setting them later copies it). */
function timing(c: Ctx): Record<string, string> {
  return { "Server-Timing": c.env.serverTiming() };
}

function fail(c: Ctx, error: TierError): Response {
  const status = STATUS_OF[error.code] ?? 500;
  const headers = timing(c);
  if (status === 503) headers["Retry-After"] = "1";
  return c.json({ error: { ...error, traceId: c.env.traceId } }, status as 400, headers);
}

async function answer(c: Ctx, op: string, input: unknown, created = false): Promise<Response> {
  const outcome = await c.env.call(op, input);
  if (!outcome.ok) return fail(c, outcome.error);
  return c.json(outcome.value as Record<string, unknown>, created ? 201 : 200, timing(c));
}

type Body = { value: unknown } | { problem: string; tooLarge?: true };

const TOO_LARGE: Body = { problem: `is larger than ${MAX_BODY_BYTES} bytes`, tooLarge: true };

/**
 * Reads the body with a running count and stops past {@link MAX_BODY_BYTES}, whether a
 * `Content-Length` announced it or not (a chunked body is never read whole to find out).
 */
async function readJson(c: Ctx): Promise<Body> {
  const declared = Number(c.req.header("content-length") ?? 0);
  if (declared > MAX_BODY_BYTES) return TOO_LARGE;
  const stream = c.req.raw.body;
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (stream !== null) {
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > MAX_BODY_BYTES) {
        await reader.cancel("the request body is over the limit");
        return TOO_LARGE;
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  const text = new TextDecoder().decode(bytes);
  if (text.trim() === "") return { value: {} };
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return { problem: `is not valid JSON (${(error as Error).message})` };
  }
}

async function post(c: Ctx, op: string): Promise<Response> {
  const body = await readJson(c);
  if ("problem" in body) {
    return fail(c, {
      code: body.tooLarge ? "too-large" : "invalid",
      message: `Cannot ${op}: the request body ${body.problem}; send a JSON object`,
      fields: [{ field: "body", problem: body.problem }],
    });
  }
  return answer(c, op, body.value, true);
}

/**
 * Creates the app. Serve it with `app.fetch(request, env)`.
 *
 * @example The app without any tier behind it: a fake `call`
 * ```ts
 * import assert from "node:assert/strict";
 * import { createPresentationApp } from "./presentation_app.ts";
 * const app = createPresentationApp();
 * const env = {
 *   traceId: "tr-1",
 *   call: (op: string, input?: unknown) => Promise.resolve({ ok: true as const, value: { op, input } }),
 *   serverTiming: () => "presentation;dur=0",
 * };
 * const res = await app.fetch(new Request("http://x/api/books/7"), env);
 * assert.deepEqual(await res.json(), { op: "getBook", input: { id: "7" } });
 * assert.equal(res.headers.get("x-trace-id"), "tr-1");
 * assert.equal((await app.fetch(new Request("http://x/nope"), env)).status, 404);
 * ```
 */
export function createPresentationApp(): PresentationApp {
  const app = new Hono<{ Bindings: PresentationEnv }>();
  app.use(async (c, next) => {
    c.header("X-Trace-Id", c.env.traceId);
    if (c.env.budgetProblem !== undefined) {
      return fail(c, {
        code: "invalid",
        message:
          `Cannot serve ${c.req.method} ${c.req.path}: header X-Budget-Ms ${c.env.budgetProblem}`,
        fields: [{ field: "X-Budget-Ms", problem: c.env.budgetProblem }],
      });
    }
    await next();
  });
  app.get("/", async (c) => {
    const outcome = await c.env.call("overview");
    if (!outcome.ok) {
      const status = STATUS_OF[outcome.error.code] ?? 500;
      return c.html(await renderErrorPage(status, outcome.error.message), status as 500, timing(c));
    }
    const page = await renderPage(outcome.value as Overview, { traceId: c.env.traceId });
    return c.html(page, 200, timing(c));
  });
  app.get("/api", (c) => c.json({ routes: ROUTES }, 200, timing(c)));
  app.get("/api/books", (c) => answer(c, "listBooks", { q: c.req.query("q") }));
  app.get("/api/books/:id", (c) => answer(c, "getBook", { id: c.req.param("id") }));
  app.post("/api/books", (c) => post(c, "addBook"));
  app.get("/api/loans", (c) => answer(c, "listLoans", { member: c.req.query("member") }));
  app.post("/api/loans", (c) => post(c, "borrow"));
  app.post("/api/loans/:id/return", (c) => answer(c, "giveBack", { loanId: c.req.param("id") }));
  app.get("/api/stats", (c) => answer(c, "poolStats", {}));
  app.notFound((c) =>
    c.json({
      error: {
        code: "not-found",
        message: `Cannot ${c.req.method} ${c.req.path}: no such route; GET /api lists the routes`,
        traceId: c.env?.traceId,
      },
    }, 404)
  );
  app.onError((error, c) =>
    c.json({
      error: {
        code: "internal",
        message: `Cannot serve ${c.req.method} ${c.req.path}: ${error.message}`,
        traceId: c.env?.traceId,
      },
    }, 500)
  );
  return app;
}
