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
  timing: { readonly requestTime: number; readonly responseTime: number },
): Outcome {
  const source = response.body;
  if (source === null) {
    const entry = storeEntry(target, request.headers, response, new Uint8Array(0), timing);
    return stored(side, entry, "MISS");
  }
  const done = deferred<StoredResponse | undefined>();
  const reader = source.getReader();
  /** Read from the origin, not yet given to the client. */
  const queue: Uint8Array[] = [];
  let copy: Uint8Array[] | undefined = [];
  let size = 0;
  let ended = false;
  let failure: unknown;
  let clientGone = false;
  let wake = deferred<void>();
  /** Bytes of `copy` charged to the proxy-wide `side.storing`. */
  let charged = 0;
  const release = () => {
    side.storing.used -= charged;
    charged = 0;
  };

  const finish = () => {
    release();
    const whole = new Uint8Array(size);
    let at = 0;
    for (const chunk of copy!) {
      whole.set(chunk, at);
      at += chunk.byteLength;
    }
    const outcome = stored(
      side,
      storeEntry(target, request.headers, response, whole, timing),
      "MISS",
    );
    done.resolve(outcome.kind === "entry" ? outcome.entry : undefined);
  };
  // The storing phase: read ahead, bounded by maxObjectBytes.
  void (async () => {
    try {
      while (copy !== undefined) {
        const read = await reader.read();
        if (read.done) {
          ended = true;
          finish();
          break;
        }
        const bytes = read.value.byteLength;
        size += bytes;
        if (size > side.maxObjectBytes || side.storing.used + bytes > side.storing.max) {
          copy = undefined;
          release();
          done.resolve(undefined);
        } else {
          copy.push(read.value);
          side.storing.used += bytes;
          charged += bytes;
        }
        if (clientGone) {
          if (copy === undefined) await reader.cancel("the client went away");
        } else {
          queue.push(read.value);
        }
        wake.resolve();
      }
    } catch (error) {
      failure = error;
      copy = undefined;
      release();
      done.resolve(undefined);
      side.emit({ type: "origin-error", url: target, note: `Cannot read origin body: ${error}` });
    }
    wake.resolve();
  })();

  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        if (queue.length > 0) return controller.enqueue(queue.shift()!);
        if (failure !== undefined) return controller.error(failure);
        if (ended) return controller.close();
        if (copy === undefined) break;
        await wake.promise;
        wake = deferred<void>();
      }
      // Past the storing phase: read only as the client reads.
      const read = await reader.read();
      if (read.done) controller.close();
      else controller.enqueue(read.value);
    },
    async cancel(reason) {
      clientGone = true;
      queue.length = 0;
      if (copy === undefined && !ended) await reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  const relayed = relay(request, new Response(body, response), timing);
  return { kind: "streamed", response: relayed, done: done.promise };
}
