/**
 * The three-tier load generator's user: it first asks for its loans on issue, then loops: think
 * time (exponential, seeded) and one HTTP request drawn from a browsing-heavy mix (page, list,
 * search, book, borrow, return, add). It
 * runs against any {@link UserAgent}: messages to the presentation process in the simulator,
 * real `fetch` on a host.
 * @module
 */
import type { HttpRequestMessage } from "./messages.ts";

/** An HTTP answer as the user sees it; status 0 means no answer at all. */
export interface HttpExchange {
  /** The HTTP status; 0 when no answer came. */
  readonly status: number;
  /** Response header fields, lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The response body as text. */
  readonly body: string;
}

/** What a user needs: a way to send requests, a clock, a timer and a seeded generator. */
export interface UserAgent {
  /** Sends one request; resolves with the answer (status 0 when none came). */
  send(request: HttpRequestMessage): Promise<HttpExchange>;
  /** Waits `ms`. */
  sleep(ms: number): Promise<void>;
  /** Current time in ms. */
  now(): number;
  /** A float in [0, 1). */
  random(): number;
}

/** Options of {@link runUser}. */
export interface UserOptions {
  /** The user's number: it names the member (`user-1`). @default 1 */
  readonly user?: number;
  /** How long the user keeps sending, in ms of the agent's time. @default 3000 */
  readonly durationMs?: number;
  /** Mean think time between requests, in ms. @default 200 */
  readonly thinkMs?: number;
  /** Highest book id to ask for. @default 12 */
  readonly books?: number;
  /** Called with each record as it is made (what a run cut short still has). @default none */
  readonly onRecord?: (record: RequestRecord) => void;
  /** Stops the user before its next request once aborted (its run was cut short). @default none */
  readonly signal?: AbortSignal;
}

/** One request the user made. */
export interface RequestRecord {
  /** What the user did: `loans` (first), `page`, `list`, `search`, `book`, `borrow`, `return`, `add`. */
  readonly action: string;
  /** The HTTP status; 0 when no answer came. */
  readonly status: number;
  /** Time from send to answer, in ms. */
  readonly latencyMs: number;
  /** The `Server-Timing` durations by name. */
  readonly timing: Readonly<Record<string, number>>;
}

const MIX: readonly (readonly [string, number])[] = [
  ["page", 0.1],
  ["list", 0.25],
  ["search", 0.05],
  ["book", 0.15],
  ["borrow", 0.25],
  ["return", 0.15],
  ["add", 0.05],
];
const WORDS = ["the", "and", "war", "great", "dracula", "eyre", "tale"];

function pick(random: number): string {
  let sum = 0;
  for (const [action, weight] of MIX) {
    sum += weight;
    if (random < sum) return action;
  }
  return "list";
}

/**
 * Parses a `Server-Timing` header into durations by name.
 *
 * @example Durations by tier
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseServerTiming } from "./three_tier_workload.ts";
 * assert.deepEqual(parseServerTiming('logic;dur=1.5, net;dur=2;desc="x"'), { logic: 1.5, net: 2 });
 * ```
 */
export function parseServerTiming(header: string | null | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (!header) return out;
  for (const part of header.split(",")) {
    const [name, ...params] = part.trim().split(";");
    for (const param of params) {
      const [key, value] = param.trim().split("=");
      if (key === "dur" && name && Number.isFinite(Number(value))) out[name] = Number(value);
    }
  }
  return out;
}

/**
 * Runs one user until `durationMs` has passed; returns what it did.
 *
 * @example A user against a fake agent that answers 200 at once
 * ```ts
 * import assert from "node:assert/strict";
 * import { runUser } from "./three_tier_workload.ts";
 * let t = 0;
 * const records = await runUser({
 *   send: () => Promise.resolve({ status: 200, headers: {}, body: "{}" }),
 *   sleep: (ms) => { t += ms; return Promise.resolve(); },
 *   now: () => t,
 *   random: () => 0.5,
 * }, { durationMs: 1000, thinkMs: 100 });
 * assert.ok(records.length > 5);
 * ```
 */
export async function runUser(
  agent: UserAgent,
  options: UserOptions = {},
): Promise<RequestRecord[]> {
  const user = options.user ?? 1;
  const durationMs = options.durationMs ?? 3000;
  const thinkMs = options.thinkMs ?? 200;
  const books = options.books ?? 12;
  const member = `user-${user}`;
  const made: RequestRecord[] = [];
  const records = {
    push(record: RequestRecord): void {
      made.push(record);
      options.onRecord?.(record);
    },
  };
  const state: UserState = { agent, user, member, loans: [], added: 0 };
  const loans = state.loans;
  const start = agent.now();
  const mine = await agent.send({
    kind: "http",
    method: "GET",
    path: `/api/loans?member=${member}`,
  });
  records.push({
    action: "loans",
    status: mine.status,
    latencyMs: agent.now() - start,
    timing: parseServerTiming(mine.headers["server-timing"]),
  });
  loans.push(...loanIds(mine.body));
  for (let i = 0; i < 1_000_000; i++) {
    await agent.sleep(-thinkMs * Math.log(1 - agent.random()));
    if (agent.now() - start >= durationMs || options.signal?.aborted) break;
    let action = pick(agent.random());
    if (action === "return" && loans.length === 0) action = "borrow";
    const book = 1 + Math.floor(agent.random() * books);
    const request = requestFor(action, book, state);
    const sent = agent.now();
    const answer = await agent.send(request);
    const latencyMs = agent.now() - sent;
    if (action === "borrow" && answer.status === 201) {
      const id = loanId(answer.body);
      if (id !== undefined) loans.push(id);
    }
    records.push({
      action,
      status: answer.status,
      latencyMs,
      timing: parseServerTiming(answer.headers["server-timing"]),
    });
  }
  return made;
}

/** What a user's requests draw on and change: its loans and the books it has added. */
interface UserState {
  readonly agent: UserAgent;
  readonly user: number;
  readonly member: string;
  readonly loans: number[];
  added: number;
}

/** The request for `action` on `book`; draws from the agent's generator as the action needs. */
function requestFor(action: string, book: number, state: UserState): HttpRequestMessage {
  const { agent, user, member, loans } = state;
  switch (action) {
    case "page":
      return { kind: "http", method: "GET", path: "/" };
    case "search": {
      const word = WORDS[Math.floor(agent.random() * WORDS.length)];
      return { kind: "http", method: "GET", path: `/api/books?q=${word}` };
    }
    case "book":
      return { kind: "http", method: "GET", path: `/api/books/${book}` };
    case "borrow":
      return json("/api/loans", { bookId: book, member });
    case "return": {
      const loan = loans.splice(Math.floor(agent.random() * loans.length), 1)[0];
      return { kind: "http", method: "POST", path: `/api/loans/${loan}/return` };
    }
    case "add": {
      const added = ++state.added;
      const isbn = `979${String(user).padStart(4, "0")}${String(added).padStart(6, "0")}`;
      return json("/api/books", {
        isbn,
        title: `Notes of ${member}, volume ${added}`,
        author: member,
        copies: 1 + Math.floor(agent.random() * 3),
      });
    }
    default:
      return { kind: "http", method: "GET", path: "/api/books" };
  }
}

function json(path: string, body: unknown): HttpRequestMessage {
  return {
    kind: "http",
    method: "POST",
    path,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  };
}

function loanId(body: string): number | undefined {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id;
    return typeof id === "number" ? id : undefined;
  } catch {
    return undefined;
  }
}

function loanIds(body: string): number[] {
  try {
    const loans = (JSON.parse(body) as { loans?: { id?: unknown }[] }).loans ?? [];
    return loans.map((l) => l.id).filter((id): id is number => typeof id === "number");
  } catch {
    return [];
  }
}
