/**
 * An HTTP caching conformance suite, data-driven: the cases in tests/testdata/http_cache/*.json
 * are modelled on the public cache-tests suite (http-tests/cache-tests; each case keeps its id and
 * kind: required, optional for its "optimal" ones, check for its informational ones). A case is
 * a sequence of requests; each step says what the origin answers and what the client must see.
 *
 * Every case runs against a real cache listening on 127.0.0.1, with real origins on 127.0.0.1:
 * `Deno.serve` for most cases, and a raw-socket origin for what `Deno.serve` cannot send (1xx
 * interim responses, statuses outside 200-599, repeated field lines, a dropped connection). The
 * client is a raw HTTP/1.1 client, so interim responses and any status are seen as sent.
 *
 * A step's `expected_type` is read from the origin's log and the response: a request the origin
 * answered 304 means `validated`; a response carrying this step's `x-origin-step` stamp means
 * `not_cached`; an earlier step's stamp (served from the store) means `cached`; none at all (an
 * error the cache made up) counts as not cached.
 * @module
 */
import { formatHttpDate } from "../proxy/http_date.ts";
import { exchange, listenWire, type Seen } from "./_http_wire.ts";

/** A field list: `[name, value]`; a number is an HTTP date that many seconds from now. */
export type Fields = [string, string | number][];

/** One request of a case and what the origin and the client do about it. */
export interface Step {
  readonly method?: string;
  /** A path under the case's own (`location_target`); default the case's path itself. */
  readonly path?: string;
  readonly query?: string;
  readonly request_headers?: Fields;
  readonly request_body?: string;
  readonly response_status?: number;
  readonly response_headers?: Fields;
  readonly response_body?: string | null;
  readonly interim?: [number, [string, string][]][];
  readonly disconnect?: boolean;
  readonly pause_after?: number;
  readonly expected_type?: "cached" | "not_cached" | "validated";
  readonly expected_status?: number;
  readonly expected_response_headers?: (
    | [string, string | number]
    | [string, ">", number]
  )[];
  readonly expected_response_headers_missing?: string[];
  readonly expected_response_text?: string;
  readonly expected_request_headers?: [string, string][];
  readonly expected_method?: string;
  readonly expected_interim?: [number, [string, string][]][];
}

/** One case. */
export interface Case {
  readonly id: string;
  readonly kind: "required" | "optional" | "check";
  readonly origin?: "serve" | "wire";
  readonly note?: string;
  readonly requests: Step[];
}

/** The outcome of one case. */
export interface CaseResult {
  readonly id: string;
  readonly kind: Case["kind"];
  readonly pass: boolean;
  /** Why it failed. */
  readonly message?: string;
}

/** The cache under test for one case. */
export interface CacheUnderTest {
  /** The cache's port on 127.0.0.1. */
  readonly port: number;
  /** The clock the origin stamps dates with (the cache's own, for a fake clock). */
  readonly now: () => number;
  /** Lets `seconds` pass (a fake clock moves; a real one is waited for). */
  readonly pause: (seconds: number) => Promise<void>;
  /** Resolves when the cache's background work for the last request is done. */
  readonly settle?: () => Promise<void>;
}

/** Loads every case file, in name order. */
export async function loadSuite(): Promise<Case[]> {
  const dir = new URL("./testdata/http_cache/", import.meta.url);
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.endsWith(".json")) names.push(entry.name);
  }
  const cases: Case[] = [];
  for (const name of names.sort()) {
    const file = JSON.parse(await Deno.readTextFile(new URL(name, dir)));
    cases.push(...(file.cases as Case[]));
  }
  return cases;
}

interface Logged {
  readonly step: number;
  readonly method: string;
  readonly headers: Headers;
  readonly answered304: boolean;
}

interface Run {
  readonly testCase: Case;
  readonly base: string;
  readonly now: () => number;
  /** The clock when the case started: relative dates count from it, as in cache-tests. */
  readonly start: number;
  readonly log: Logged[];
}

const runs = new Map<string, Run>();

const RFC850_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

function dateValue(value: string | number, run: Run): string {
  if (typeof value === "number") return formatHttpDate(run.start + value * 1000);
  const m = /^(rfc850|asctime):(-?\d+)$/.exec(value);
  if (m === null) return value.replaceAll("{case}", run.base);
  const d = new Date(run.start + Number(m[2]) * 1000);
  const [, day, mon, year, time] = d.toUTCString().split(" ").slice(0, 5);
  if (m[1] === "rfc850") {
    return `${RFC850_DAYS[d.getUTCDay()]}, ${day}-${mon}-${year.slice(2)} ${time} GMT`;
  }
  return `${d.toUTCString().slice(0, 3)} ${mon} ${
    String(d.getUTCDate()).padStart(2)
  } ${time} ${year}`;
}

/** The step's response config, inheriting what it leaves out from the steps before it. */
function config(testCase: Case, index: number) {
  let status = 200;
  let headers: Fields = [];
  let body: string | null | undefined;
  for (let i = 0; i <= index; i++) {
    const step = testCase.requests[i];
    if (step.response_status !== undefined) status = step.response_status;
    if (step.response_headers !== undefined) headers = step.response_headers;
    if (step.response_body !== undefined) body = step.response_body;
  }
  const step = testCase.requests[index];
  return {
    status,
    headers,
    body: body === undefined ? `${testCase.id} ${index}` : body,
    interim: step.interim ?? [],
    disconnect: step.disconnect === true,
  };
}

/** What the origin answers to one request, and the entry it logs. */
function originAnswer(method: string, path: string, headers: Headers) {
  const run = runs.get(path.split("/")[1]?.split("?")[0] ?? "");
  const step = Number(headers.get("x-step"));
  if (run === undefined || !(step >= 0 && step < (run?.testCase.requests.length ?? 0))) {
    return { status: 404, headers: [] as [string, string][], body: "no such case", interim: [] };
  }
  const c = config(run.testCase, step);
  const fields = c.headers.map(([n, v]) => [n, dateValue(v, run)] as [string, string]);
  // Every origin response carries a Date from the case's clock (as an HTTP server must).
  if (!fields.some(([n]) => n.toLowerCase() === "date")) {
    fields.push(["Date", formatHttpDate(run.now())]);
  }
  // Which step's answer a response is: a stored one carries an earlier step's.
  fields.push(["x-origin-step", String(step)]);
  const field = (name: string) => fields.find(([n]) => n.toLowerCase() === name)?.[1];
  const inm = headers.get("if-none-match");
  const ims = headers.get("if-modified-since");
  const etag = field("etag");
  const lastModified = field("last-modified");
  const opaque = (tag: string) => tag.trim().replace(/^W\//, "");
  const notModified = c.status === 200 && (method === "GET" || method === "HEAD") && (
    inm !== null
      ? etag !== undefined && inm.split(",").some((t) => opaque(t) === opaque(etag))
      : ims !== null && lastModified !== undefined && Date.parse(lastModified) <= Date.parse(ims)
  );
  run.log.push({ step, method, headers, answered304: notModified });
  return {
    status: notModified ? 304 : c.status,
    headers: fields,
    body: notModified || c.body === null ? null : c.body,
    interim: c.interim,
    disconnect: c.disconnect,
  };
}

/** The `Deno.serve` origin: one for every case that needs nothing `Deno.serve` cannot send. */
export function serveOrigin(): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (request) => {
    await request.body?.cancel();
    const url = new URL(request.url);
    const a = originAnswer(request.method, url.pathname + url.search, request.headers);
    const headers = new Headers();
    for (const [n, v] of a.headers) headers.append(n, v);
    return new Response(a.body, { status: a.status, headers });
  });
}

/** The raw-socket origin: 1xx, any status, repeated field lines, a dropped connection. */
export function wireOrigin(): { readonly port: number; close(): void } {
  return listenWire(originAnswer);
}

function expandRequestFields(fields: Fields | undefined, run: Run): [string, string][] {
  return (fields ?? []).map(([n, v]) => [n, dateValue(v, run)]);
}

/** Runs one case against the cache; `prefix` keeps cases of different runs apart in one cache. */
export async function runCase(
  testCase: Case,
  cache: CacheUnderTest,
  prefix = "",
): Promise<CaseResult> {
  const id = `${prefix}${testCase.id}`;
  const run: Run = { testCase, base: `/${id}`, now: cache.now, start: cache.now(), log: [] };
  runs.set(id, run);
  const fail = (step: number, message: string): CaseResult => ({
    id: testCase.id,
    kind: testCase.kind,
    pass: false,
    message: `step ${step + 1}: ${message}`,
  });
  try {
    for (let i = 0; i < testCase.requests.length; i++) {
      const step = testCase.requests[i];
      const target = `${run.base}${step.path ? `/${step.path}` : ""}${
        step.query ? `?${step.query}` : ""
      }`;
      const seen = await exchange(
        cache.port,
        step.method ?? "GET",
        target,
        [["x-step", String(i)], ...expandRequestFields(step.request_headers, run)],
        step.request_body,
      );
      await cache.settle?.();
      const problem = check(step, i, seen, run);
      if (problem !== undefined) return fail(i, problem);
      if (step.pause_after) await cache.pause(step.pause_after);
    }
    return { id: testCase.id, kind: testCase.kind, pass: true };
  } catch (error) {
    return fail(-1, `the case did not run: ${(error as Error).message}`);
  } finally {
    runs.delete(id);
  }
}

function check(step: Step, i: number, seen: Seen, run: Run): string | undefined {
  const logged = run.log.filter((entry) => entry.step === i);
  const got = (name: string) =>
    seen.headers.filter(([n]) => n === name.toLowerCase()).map(([, v]) => v).join(", ");
  if (step.expected_type !== undefined) {
    const stamp = got("x-origin-step");
    const type = logged.some((entry) => entry.answered304)
      ? "validated"
      : stamp === String(i)
      ? "not_cached"
      : stamp !== ""
      ? "cached"
      : "an answer of the cache's own";
    // As in cache-tests, a response the origin was asked about (validated) is not cached, and
    // neither is an error the cache made up (no stored response was used).
    const ok = type === step.expected_type ||
      (step.expected_type === "not_cached" && type !== "cached");
    if (!ok) return `expected ${step.expected_type}, was ${type}`;
  }
  if (step.expected_status !== undefined && seen.status !== step.expected_status) {
    return `expected status ${step.expected_status}, got ${seen.status}`;
  }
  for (const expected of step.expected_response_headers ?? []) {
    const value = got(expected[0]);
    if (expected.length === 3) {
      if (!(Number(value) > expected[2])) {
        return `expected ${expected[0]} > ${expected[2]}, got "${value}"`;
      }
    } else if (typeof expected[1] === "number") {
      const want = run.start + expected[1] * 1000;
      if (!(Math.abs(Date.parse(value) - want) <= 2000)) {
        return `expected ${expected[0]} ${formatHttpDate(want)}, got "${value}"`;
      }
    } else if (value !== dateValue(expected[1], run)) {
      return `expected ${expected[0]} "${expected[1]}", got "${value}"`;
    }
  }
  for (const name of step.expected_response_headers_missing ?? []) {
    if (got(name) !== "") return `expected no ${name}, got "${got(name)}"`;
  }
  if (step.expected_response_text !== undefined && seen.text !== step.expected_response_text) {
    return `expected body "${step.expected_response_text}", got "${seen.text.slice(0, 80)}"`;
  }
  for (const [name, value] of step.expected_request_headers ?? []) {
    const last = logged.at(-1);
    if (last === undefined) return `expected the origin to get ${name}, it got no request`;
    if (last.headers.get(name) !== value) {
      return `expected the origin to get ${name}: ${value}, got "${last.headers.get(name)}"`;
    }
  }
  if (
    step.expected_method !== undefined && !logged.some((e) => e.method === step.expected_method)
  ) {
    return `expected the origin to get a ${step.expected_method}, got [${
      logged.map((e) => e.method)
    }]`;
  }
  if (step.expected_interim !== undefined) {
    const want = JSON.stringify(
      step.expected_interim.map(([s, f]) => [s, f.map(([n, v]) => [n.toLowerCase(), v])]),
    );
    const have = JSON.stringify(seen.interim.map(([s, f]) => [s, f.filter(([n]) => n !== "date")]));
    if (want !== have) return `expected interim responses ${want}, got ${have}`;
  }
  return undefined;
}

/** Counts of passes and failures by kind. */
export function tally(
  results: readonly CaseResult[],
): Record<Case["kind"], { pass: number; fail: number }> {
  const counts = {
    required: { pass: 0, fail: 0 },
    optional: { pass: 0, fail: 0 },
    check: { pass: 0, fail: 0 },
  };
  for (const r of results) counts[r.kind][r.pass ? "pass" : "fail"]++;
  return counts;
}
