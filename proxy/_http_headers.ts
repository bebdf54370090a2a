/**
 * Header plumbing of the HTTP proxy: hop-by-hop headers stay on their hop (RFC 9110 §7.6.1).
 * @module
 */

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "proxy-authenticate",
  "proxy-authorization",
]);

/** Headers a request carries that only concern the cache's own conditional logic. */
const CONDITIONALS = [
  "if-none-match",
  "if-modified-since",
  "if-match",
  "if-unmodified-since",
  "if-range",
];

/** The end-to-end headers of `headers` as pairs, without hop-by-hop ones and those in `drop`. */
export function endToEnd(headers: Headers, drop?: ReadonlySet<string>): [string, string][] {
  const listed = new Set(
    (headers.get("connection") ?? "").split(",").map((n) => n.trim().toLowerCase()),
  );
  const pairs: [string, string][] = [];
  for (const [name, value] of headers) {
    if (HOP_BY_HOP.has(name) || listed.has(name) || drop?.has(name)) continue;
    pairs.push([name, value]);
  }
  return pairs;
}

const REQUEST_DROP = new Set(["host", "content-length", "accept-encoding"]);

/**
 * The headers to send the origin for a client request: end-to-end headers, `Accept-Encoding:
 * identity` (the cache stores bodies as sent, and Deno's fetch would decode some encodings),
 * `Via`, and without the client's conditionals unless `keepConditionals`.
 */
export function originRequestHeaders(client: Headers, keepConditionals: boolean): Headers {
  const headers = new Headers(endToEnd(client, REQUEST_DROP));
  if (!keepConditionals) { for (const name of CONDITIONALS) headers.delete(name); }
  headers.set("accept-encoding", "identity");
  const via = client.get("via");
  headers.set("via", via ? `${via}, 1.1 archlab` : "1.1 archlab");
  return headers;
}

/** Characters that may need normalising (dot segments, escapes, non-ASCII, a fragment). */
const NEEDS_PARSING = /[^A-Za-z0-9\-_~!$&'()*+,;=:@/?]|\/\.|#/;

/** The request target `/path?query` of a URL or a path; `undefined` when it is not a valid URL. */
export function targetOf(url: string): string | undefined {
  if (url.startsWith("/")) return url;
  const scheme = url.indexOf("://");
  if (scheme > 0) {
    const slash = url.indexOf("/", scheme + 3);
    const path = slash < 0 ? "/" : url.slice(slash);
    const host = slash < 0 ? url.slice(scheme + 3) : url.slice(scheme + 3, slash);
    if (!NEEDS_PARSING.test(path) && !NEEDS_PARSING.test(host)) {
      return path;
    }
  }
  try {
    const parsed = new URL(url);
    return parsed.pathname + parsed.search;
  } catch {
    return undefined;
  }
}
