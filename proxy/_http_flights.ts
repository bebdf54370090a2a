/**
 * The HTTP proxy's origin fetches for GET: coalesced misses (one origin fetch for every request
 * that may share its answer, waiting on a streamed body until it is stored) and background
 * revalidations for stale-while-revalidate.
 * @module
 */
import type { CacheControl } from "./cache_control.ts";
import { Coalescer } from "./coalescer.ts";
import { secondaryKey } from "./http_cache_policy.ts";
import type { XCache } from "./http_proxy_types.ts";
import type { OriginHooks } from "./http1_client.ts";
import type { StoredResponse } from "./_http_entry.ts";
import { fill, type OriginSide, type Outcome } from "./_http_origin.ts";

/** What a cache lookup found. */
export interface Probe {
  /** The request must not use the cache (no-store, Authorization). */
  readonly bypass: boolean;
  readonly key: string;
  readonly requestCc: CacheControl;
  readonly entry?: StoredResponse;
  /** The response, when a fresh entry (or a stale one the rules allow) answers the request. */
  readonly hit?: Response;
  /** How `hit` was served. */
  readonly cache?: XCache;
  /** `hit` is stale inside `stale-while-revalidate`: refresh the entry in the background. */
  readonly revalidate?: boolean;
}

/** Origin fetches in flight, shared by the requests that may share them. */
export class Flights {
  readonly #flights = new Coalescer<Outcome>();
  /** Background revalidations (stale-while-revalidate) in flight. */
  readonly #background = new Set<Promise<void>>();
  /** Streamed fills still receiving their body, by key: joiners wait for the stored entry. */
  readonly #bodies = new Map<string, Promise<StoredResponse | undefined>>();

  /** Fetches through `side`; `answer` turns an outcome into the response to one request. */
  constructor(
    readonly side: OriginSide,
    readonly answer: (request: Request, target: string, outcome: Outcome) => Response,
  ) {}

  /** Refreshes `found.entry` in the background, once per key at a time. */
  refresh(request: Request, target: string, found: Probe): void {
    if (this.#flights.has(found.key)) return;
    const done = this.#flights.run(
      found.key,
      () => fill(this.side, request, target, found.entry, found.requestCc),
    ).then(async ({ value }) => {
      // Nobody reads this answer: read a streamed body to its end so it is stored, drop others.
      if (value.kind === "streamed") await value.response.body?.pipeTo(new WritableStream());
      else if (value.kind === "response") await value.response.body?.cancel();
    });
    const tracked: Promise<void> = done.catch((error: Error) =>
      this.side.emit({
        type: "origin-error",
        url: target,
        note: `background revalidation: ${error.message}`,
      })
    ).finally(() => this.#background.delete(tracked));
    this.#background.add(tracked);
  }

  /** Resolves once the background revalidations started so far ended. */
  async settled(): Promise<void> {
    for (let round = 0; round < 100 && this.#background.size > 0; round++) {
      await Promise.all(this.#background);
    }
  }

  #joined(target: string): void {
    this.side.counts.coalesced++;
    this.side.emit({ type: "coalesce", url: target });
  }

  /** Whether `entry` is the variant `request` selects. */
  #fits(entry: StoredResponse | undefined, target: string, request: Request): boolean {
    return entry !== undefined && entry.key === target + secondaryKey(entry.vary, request.headers);
  }

  /** A miss (or a validation of `found.entry`): one origin fetch per key, shared when it may be. */
  async miss(
    request: Request,
    target: string,
    found: Probe,
    hooks: OriginHooks | undefined,
  ): Promise<Response> {
    const { key, entry, requestCc } = found;
    const side = this.side;
    const pending = this.#bodies.get(key);
    if (pending !== undefined) {
      this.#joined(target);
      const filled = await pending;
      if (this.#fits(filled, target, request)) {
        return this.answer(request, target, { kind: "entry", entry: filled!, cache: "MISS" });
      }
      return this.answer(request, target, await fill(side, request, target, undefined, requestCc));
    }
    // A miss forwards the client's validators: only requests with the same ones may share it.
    const conditional = entry === undefined
      ? (request.headers.get("if-none-match") ?? "") + "\n" +
        (request.headers.get("if-modified-since") ?? "")
      : "\n";
    const flightKey = conditional === "\n" ? key : `${key}\n${conditional}`;
    if (this.#flights.has(flightKey)) this.#joined(target);
    const { value, shared } = await this.#flights.run(flightKey, async () => {
      const outcome = await fill(side, request, target, entry, requestCc, hooks);
      if (outcome.kind === "streamed") {
        this.#bodies.set(key, outcome.done);
        void outcome.done.then(() => {
          if (this.#bodies.get(key) === outcome.done) this.#bodies.delete(key);
        });
      }
      return outcome;
    });
    if (!shared || value.kind === "error") return this.answer(request, target, value);
    if (value.kind === "streamed") {
      const filled = await value.done;
      if (this.#fits(filled, target, request)) {
        return this.answer(request, target, { kind: "entry", entry: filled!, cache: "MISS" });
      }
    } else if (value.kind !== "response" && this.#fits(value.entry, target, request)) {
      return this.answer(request, target, value);
    }
    // The shared answer may not be reused for this request: fetch one of its own.
    return this.answer(request, target, await fill(side, request, target, undefined, requestCc));
  }
}
