/**
 * Storing a response while it streams to the client: read ahead while the copy stays under the
 * largest object the cache keeps, then at the client's pace with no copy.
 * @module
 */
import type { XCache } from "./http_proxy_types.ts";
import { type StoredResponse, storeEntry } from "./_http_entry.ts";
import type { OriginSide, Outcome } from "./_http_origin.ts";
import { relay } from "./_http_respond.ts";

/** A promise with its resolver (`Promise.withResolvers`, which the npm build's ES2022 lacks). */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => resolve = r);
  return { promise, resolve };
}

/** Puts `entry` in the store and makes it the outcome. */
export function stored(side: OriginSide, entry: StoredResponse, cache: XCache): Outcome {
  // Even an entry born stale without validators is kept: stale-if-error may serve it.
  side.store.put(entry);
  return { kind: "entry", entry, cache };
}

/**
 * Relays a storable response as its bytes arrive while keeping a copy. While the copy stays
 * under `maxObjectBytes` the origin is read at its own pace (what is read is what the store keeps
 * anyway), so requests waiting for the entry never depend on how fast the first client reads,
 * and the entry is stored even if that client hangs up. Past `maxObjectBytes`, or when the copies
 * of all responses being stored would pass `side.storing.max`, the copy is dropped and reads
 * follow the client's (no read-ahead): an uncached body is never buffered.
 */
export function streamWhileStoring(
  side: OriginSide,
  request: Request,
  target: string,
  response: Response,
  timing: Timing,
): Outcome {
  const source = response.body;
  if (source === null) {
    const entry = storeEntry(target, request.headers, response, new Uint8Array(0), timing);
    return stored(side, entry, "MISS");
  }
  const storing = new StoringBody({ side, request, target, response, timing }, source.getReader());
  const body = new ReadableStream<Uint8Array>(storing, { highWaterMark: 0 });
  const relayed = relay(request, new Response(body, response), timing);
  return { kind: "streamed", response: relayed, done: storing.done.promise };
}

/** When the request was sent and its response arrived. */
export interface Timing {
  /** When the request was sent. */
  readonly requestTime: number;
  /** When the response head arrived. */
  readonly responseTime: number;
}

/** The response being stored, and what storing it needs. */
interface Storing {
  readonly side: OriginSide;
  readonly request: Request;
  readonly target: string;
  readonly response: Response;
  readonly timing: Timing;
}

/**
 * The body relayed to the client: read ahead from the origin while the copy may still be stored
 * (the storing phase), then only as the client reads.
 */
class StoringBody {
  /** Resolves with the stored entry, or undefined once the copy was dropped. */
  readonly done = deferred<StoredResponse | undefined>();
  readonly #storing: Storing;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  /** Read from the origin, not yet given to the client. */
  readonly #queue: Uint8Array[] = [];
  /** The copy being stored; undefined once dropped (past the storing phase). */
  #copy: Uint8Array[] | undefined = [];
  #size = 0;
  #ended = false;
  #failure: unknown;
  #clientGone = false;
  #wake = deferred<void>();
  /** Bytes of the copy charged to the proxy-wide `side.storing`. */
  #charged = 0;

  /** Starts the storing phase: reads `reader` ahead. */
  constructor(storing: Storing, reader: ReadableStreamDefaultReader<Uint8Array>) {
    this.#storing = storing;
    this.#reader = reader;
    void this.#readAhead();
  }

  /** Gives the client the next bytes read ahead, or past the storing phase reads them now. */
  async pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    for (;;) {
      if (this.#queue.length > 0) return controller.enqueue(this.#queue.shift()!);
      if (this.#failure !== undefined) return controller.error(this.#failure);
      if (this.#ended) return controller.close();
      if (this.#copy === undefined) break;
      await this.#wake.promise;
      this.#wake = deferred<void>();
    }
    // Past the storing phase: read only as the client reads.
    const read = await this.#reader.read();
    if (read.done) controller.close();
    else controller.enqueue(read.value);
  }

  /** The client went away: the storing phase goes on, else the origin body is cancelled. */
  async cancel(reason: unknown): Promise<void> {
    this.#clientGone = true;
    this.#queue.length = 0;
    if (this.#copy === undefined && !this.#ended) await this.#reader.cancel(reason);
  }

  /** The storing phase: read ahead, bounded by maxObjectBytes. */
  async #readAhead(): Promise<void> {
    const { side, target } = this.#storing;
    try {
      while (this.#copy !== undefined) {
        const read = await this.#reader.read();
        if (read.done) {
          this.#ended = true;
          this.#finish(this.#copy);
          break;
        }
        this.#keep(read.value);
        if (this.#clientGone) {
          if (this.#copy === undefined) await this.#reader.cancel("the client went away");
        } else {
          this.#queue.push(read.value);
        }
        this.#wake.resolve();
      }
    } catch (error) {
      this.#failure = error;
      this.#drop();
      side.emit({ type: "origin-error", url: target, note: `Cannot read origin body: ${error}` });
    }
    this.#wake.resolve();
  }

  /** Adds `chunk` to the copy, or drops the copy when it would pass a bound. */
  #keep(chunk: Uint8Array): void {
    const { side } = this.#storing;
    const bytes = chunk.byteLength;
    this.#size += bytes;
    if (this.#size > side.maxObjectBytes || side.storing.used + bytes > side.storing.max) {
      this.#drop();
    } else {
      this.#copy!.push(chunk);
      side.storing.used += bytes;
      this.#charged += bytes;
    }
  }

  /** Drops the copy: nothing is stored. */
  #drop(): void {
    this.#copy = undefined;
    this.#release();
    this.done.resolve(undefined);
  }

  /** Gives back the bytes the copy held of `side.storing`. */
  #release(): void {
    this.#storing.side.storing.used -= this.#charged;
    this.#charged = 0;
  }

  /** Stores the whole body `copy`. */
  #finish(copy: Uint8Array[]): void {
    const { side, request, target, response, timing } = this.#storing;
    this.#release();
    const whole = new Uint8Array(this.#size);
    let at = 0;
    for (const chunk of copy) {
      whole.set(chunk, at);
      at += chunk.byteLength;
    }
    const outcome = stored(
      side,
      storeEntry(target, request.headers, response, whole, timing),
      "MISS",
    );
    this.done.resolve(outcome.kind === "entry" ? outcome.entry : undefined);
  }
}
