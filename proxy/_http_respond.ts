/**
 * Building the proxy's responses: from a stored entry (with `Age` and `X-Cache`), relayed from
 * the origin, or a JSON error; each labelled with its `X-Cache` so counters can read it back
 * without materialising the response's headers.
 * @module
 */
import { ifNoneMatchHits, initialAge, notModifiedSince } from "./http_cache_policy.ts";
import type { XCache } from "./http_proxy_types.ts";
import { ageOf, type StoredResponse } from "./_http_entry.ts";
import { endToEnd } from "./_http_headers.ts";
import { byteRange, ifRangeHolds } from "./_http_range.ts";

/** Statuses whose responses never have a body. */
export const NULL_BODY: ReadonlySet<number> = new Set([101, 103, 204, 205, 304]);

const labels = new WeakMap<Response, XCache>();

/** Records the `X-Cache` of `response`; returns it. */
export function labelled(response: Response, cache: XCache): Response {
  labels.set(response, cache);
  return response;
}

/** The `X-Cache` recorded for `response` (`MISS` when none was). */
export function labelOf(response: Response): XCache {
  return labels.get(response) ?? "MISS";
}

/** A JSON response (`X-Cache: MISS`, `Age: 0`), for errors and purges. */
export function json(status: number, body: unknown): Response {
  return labelled(
    new Response(JSON.stringify(body), {
      status,
      headers: { "content-type": "application/json", "age": "0", "x-cache": "MISS" },
    }),
    "MISS",
  );
}

/**
 * Responses for stored entries. A hit on a GET clones a never-sent template response of its
 * entry and sets `Age`: a tenth of the cost of building the response and its headers again.
 */
export class EntryResponder {
  readonly #templates = new WeakMap<StoredResponse, Response>();
  readonly #wires = new WeakMap<StoredResponse, { age: number; bytes: Uint8Array }>();

  /**
   * The whole HTTP/1.1 response of a HIT on `entry` at `age` seconds, as bytes; made once per
   * entry and second, so a hit writes a ready buffer.
   */
  wire(entry: StoredResponse, age: number): Uint8Array {
    const cached = this.#wires.get(entry);
    if (cached !== undefined && cached.age === age) return cached.bytes;
    let text = `HTTP/1.1 ${entry.status} ${entry.statusText || "OK"}\r\n`;
    for (const [name, value] of entry.headers) text += `${name}: ${value}\r\n`;
    text += `x-cache: HIT\r\nage: ${age}\r\ncontent-length: ${entry.body.byteLength}\r\n\r\n`;
    const head = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) head[i] = text.charCodeAt(i) & 0xff;
    const bytes = new Uint8Array(head.length + entry.body.byteLength);
    bytes.set(head);
    bytes.set(entry.body, head.length);
    this.#wires.set(entry, { age, bytes });
    return bytes;
  }

  /** The response to `request` from `entry` at time `now`, answering its conditionals. */
  respond(request: Request, entry: StoredResponse, cache: XCache, now: number): Response {
    const age = String(Math.floor(ageOf(entry, now) / 1000));
    if (
      cache === "HIT" && request.method === "GET" && !NULL_BODY.has(entry.status) &&
      (entry.etag === null || request.headers.get("if-none-match") === null) &&
      request.headers.get("if-modified-since") === null && request.headers.get("range") === null
    ) {
      let template = this.#templates.get(entry);
      if (template === undefined) {
        template = new Response(entry.body, {
          status: entry.status,
          statusText: entry.statusText,
          headers: [
            ...entry.headers,
            ["x-cache", "HIT"],
            ["content-length", String(entry.body.byteLength)],
          ] as [string, string][],
        });
        this.#templates.set(entry, template);
      }
      const response = template.clone();
      response.headers.set("age", age);
      return response;
    }
    const headers = [...entry.headers, ["age", age], ["x-cache", cache]] as [string, string][];
    if (entry.status === 200) {
      // RFC 9111 §4.3.2: If-None-Match first; If-Modified-Since against Last-Modified, else Date.
      const inm = request.headers.get("if-none-match");
      const ims = inm === null ? request.headers.get("if-modified-since") : null;
      const modified = entry.lastModified ?? entry.date;
      const notModified = inm !== null
        ? entry.etag !== null && ifNoneMatchHits(inm, entry.etag)
        : ims !== null && modified !== null && notModifiedSince(ims, modified);
      if (notModified) return new Response(null, { status: 304, headers });
    }
    let body: Uint8Array<ArrayBuffer> | null = entry.body;
    const range = request.method === "GET" && entry.status === 200
      ? request.headers.get("range")
      : null;
    if (
      range !== null &&
      ifRangeHolds(request.headers.get("if-range"), entry.etag, entry.lastModified)
    ) {
      const length = body.byteLength;
      const part = byteRange(range, length);
      if (part.kind === "unsatisfiable") {
        headers.push(["content-range", `bytes */${length}`]);
        return new Response(null, { status: 416, headers });
      }
      if (part.kind === "part") {
        headers.push(["content-range", `bytes ${part.start}-${part.end}/${length}`]);
        headers.push(["content-length", String(part.end + 1 - part.start)]);
        return new Response(body.subarray(part.start, part.end + 1), { status: 206, headers });
      }
    }
    if (request.method === "HEAD" || NULL_BODY.has(entry.status)) {
      if (!NULL_BODY.has(entry.status)) {
        headers.push(["content-length", String(entry.body.byteLength)]);
      }
      body = null;
    }
    if (body !== null) headers.push(["content-length", String(body.byteLength)]);
    return new Response(body, { status: entry.status, statusText: entry.statusText, headers });
  }
}

/**
 * An origin response passed on as it came (`X-Cache: MISS`), without hop-by-hop headers. A status
 * outside 200-599 (which a `Response` cannot be built with) is passed on as the very response the
 * origin gave; the proxy's listener still drops its hop-by-hop fields.
 */
export function relay(
  request: Request,
  response: Response,
  timing: { readonly requestTime: number; readonly responseTime: number },
): Response {
  if (response.status < 200 || response.status > 599) return labelled(response, "MISS");
  const headers = new Headers(endToEnd(response.headers));
  headers.set("age", String(Math.floor(initialAge(response.headers, timing) / 1000)));
  headers.set("x-cache", "MISS");
  const body = request.method === "HEAD" || NULL_BODY.has(response.status) ? null : response.body;
  if (body === null) void response.body?.cancel();
  return labelled(
    new Response(body, { status: response.status, statusText: response.statusText, headers }),
    "MISS",
  );
}
