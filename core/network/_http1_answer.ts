/**
 * Private part of the bounded HTTP/1.1 listener (http1_server.ts): answering one request with
 * the handler. The head and body become a `Request`, the handler may send 1xx interim responses
 * until its final one, which is written with backpressure; a request the URL or Headers parsers
 * refuse gets a 400, a handler that throws a 500.
 * @module
 */
import type { RequestHead } from "./_http1_head.ts";
import { fieldOf } from "./_http1_head.ts";
import { bytesOf, errorBytes, REASONS, writeAll, writeResponse } from "./_http1_write.ts";
import type { Connection } from "./_http1_connection.ts";
import type { Http1Settings } from "./_http1_settings.ts";
import type { Http1Info } from "./http1_server.ts";

/** What the handler learns of its request: the client, and a way to send interim responses. */
class RequestInfo implements Http1Info {
  readonly remoteAddr: Deno.NetAddr;
  readonly interim: Http1Info["interim"];
  /** The final response has started: interim ones are too late. */
  #started = false;

  constructor(c: Connection, head: RequestHead) {
    this.remoteAddr = c.remoteAddr;
    // An own property, not a method: handlers pass `info.interim` on detached.
    this.interim = async (status, fields) => {
      if (
        this.#started || head.version !== "1.1" || status < 100 || status > 199 || status === 101
      ) {
        return;
      }
      let text = `HTTP/1.1 ${status} ${REASONS[status] ?? "Interim"}\r\n`;
      for (const [n, v] of fields) text += `${n}: ${v}\r\n`;
      await writeAll(c.conn, bytesOf(text + "\r\n"));
    };
  }

  /** Marks the final response as started. */
  start(): void {
    this.#started = true;
  }
}

/** The `Request` of `head` and `body`; throws a TypeError for a target or field it refuses. */
function requestOf(
  addr: Deno.NetAddr,
  head: RequestHead,
  body: Uint8Array<ArrayBuffer> | null,
): Request {
  const host = fieldOf(head, "host") ?? `${addr.hostname}:${addr.port}`;
  const url = head.target.startsWith("/") ? `http://${host}${head.target}` : head.target;
  const headers = new Headers();
  for (const [n, v] of head.fields) headers.append(n, v);
  return new Request(url, {
    method: head.method,
    headers,
    body: head.method === "GET" || head.method === "HEAD" ? null : body,
  });
}

/** Runs the handler and writes its response; returns whether the connection may stay open. */
export async function answer(
  server: Http1Settings,
  c: Connection,
  head: RequestHead,
  body: Uint8Array<ArrayBuffer> | null,
): Promise<boolean> {
  const info = new RequestInfo(c, head);
  let request: Request;
  try {
    request = requestOf(server.addr, head, body);
  } catch (error) {
    // A target or field the URL and Headers parsers refuse: the client's request is bad.
    if (!(error instanceof TypeError)) throw error;
    await writeAll(c.conn, errorBytes(400, `Cannot read the request: ${error.message}`));
    return false;
  }
  let response: Response;
  try {
    response = await server.handler(request, info);
  } catch (error) {
    // The handler failed: the client gets a 500 that says why; the connection closes.
    await writeAll(c.conn, errorBytes(500, `Cannot answer: ${(error as Error).message}`));
    return false;
  }
  info.start();
  c.moving("write");
  return await writeResponse(c, head, response, server.closing);
}
