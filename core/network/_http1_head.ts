/**
 * The request head of the bounded listener (http1_server.ts, RFC 9112), with the checks that keep
 * request smuggling and oversized heads out. The framing it shares with HTTP clients (the end of
 * a head, the chunked body decoder) is the public `http1_framing.ts`.
 * @module
 */
import { HeadError } from "./http1_framing.ts";

export { ChunkedDecoder, HeadError, indexOfCrlf, indexOfHeadEnd } from "./http1_framing.ts";

/** A parsed request head. */
export interface RequestHead {
  /** The method, as sent (methods are case-sensitive). */
  readonly method: string;
  /** The request target as sent (origin-form `/path?q` or absolute-form). */
  readonly target: string;
  /** `1.0` or `1.1`. */
  readonly version: "1.0" | "1.1";
  /** Field lines in order, names lower-cased. */
  readonly fields: readonly [string, string][];
  /** `Content-Length`, when the body is framed by it. */
  readonly contentLength?: number;
  /** The body is chunked. */
  readonly chunked: boolean;
  /** The client asked to close after this exchange (or is HTTP/1.0 without keep-alive). */
  readonly close: boolean;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const MAX_FIELDS = 100;

/** Parses the head `text` (without the final empty line). */
export function parseRequestHead(text: string): RequestHead {
  const lines = text.split("\r\n");
  const start = lines[0].split(" ");
  if (start.length !== 3 || !TOKEN.test(start[0]) || start[1] === "") {
    throw new HeadError(400, `Cannot parse the request line "${lines[0].slice(0, 80)}"`);
  }
  const [method, target, protocol] = start;
  if (protocol !== "HTTP/1.1" && protocol !== "HTTP/1.0") {
    throw new HeadError(505, `Cannot serve protocol "${protocol.slice(0, 20)}": HTTP/1.1 only`);
  }
  if (lines.length - 1 > MAX_FIELDS) {
    throw new HeadError(
      431,
      `Cannot accept ${lines.length - 1} header fields: at most ${MAX_FIELDS}`,
    );
  }
  const fields: [string, string][] = [];
  let lengths: string[] = [];
  let encodings: string[] = [];
  let connection = "";
  let host = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon) : "";
    // A space before the colon, folded lines and bad names are refused (RFC 9112 §5).
    if (!TOKEN.test(name)) {
      throw new HeadError(400, `Cannot parse the header line "${line.slice(0, 80)}"`);
    }
    const value = line.slice(colon + 1).trim();
    if (!FIELD_VALUE.test(value)) {
      throw new HeadError(400, `Cannot accept a control character in header "${name}"`);
    }
    const lower = name.toLowerCase();
    fields.push([lower, value]);
    if (lower === "content-length") {
      lengths = [
        ...lengths,
        ...value.split(",").map((v) => v.trim()),
      ];
    } else if (lower === "transfer-encoding") encodings = [...encodings, ...value.split(",")];
    else if (lower === "connection") connection += `,${value.toLowerCase()}`;
    else if (lower === "host") host++;
  }
  const version = protocol === "HTTP/1.1" ? "1.1" : "1.0";
  if (version === "1.1" && host !== 1) {
    throw new HeadError(400, `Cannot accept a request with ${host} Host fields: send exactly one`);
  }
  let contentLength: number | undefined;
  let chunked = false;
  if (encodings.length > 0) {
    if (lengths.length > 0) {
      throw new HeadError(400, "Cannot accept both Transfer-Encoding and Content-Length");
    }
    const codings = encodings.map((e) => e.trim().toLowerCase()).filter((e) => e !== "");
    if (codings.length !== 1 || codings[0] !== "chunked") {
      throw new HeadError(501, `Cannot decode Transfer-Encoding "${codings.join(", ")}"`);
    }
    chunked = true;
  } else if (lengths.length > 0) {
    if (!lengths.every((v) => /^\d{1,15}$/.test(v) && v === lengths[0])) {
      throw new HeadError(400, `Cannot read Content-Length "${lengths.join(", ")}"`);
    }
    contentLength = Number(lengths[0]);
  }
  const tokens = connection.split(",").map((t) => t.trim());
  const close = tokens.includes("close") || (version === "1.0" && !tokens.includes("keep-alive"));
  return { method, target, version, fields, contentLength, chunked, close };
}

/** The value of field `name` (lower-case) in `head`, repeated fields joined by ", ", or null. */
export function fieldOf(head: RequestHead, name: string): string | null {
  let value: string | null = null;
  for (const [n, v] of head.fields) {
    if (n === name) value = value === null ? v : `${value}, ${v}`;
  }
  return value;
}
