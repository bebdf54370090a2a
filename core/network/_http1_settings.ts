/**
 * Private part of the bounded HTTP/1.1 listener (http1_server.ts): what serving a connection
 * needs to know of its server, its options resolved to their defaults.
 * @module
 */
import type { Http1FastPath, Http1Handler } from "./http1_server.ts";

/** A server as its connections see it. */
export interface Http1Settings {
  /** Answers requests. */
  readonly handler: Http1Handler;
  /** Answers requests without a body with prepared bytes, when set. */
  readonly fastPath: Http1FastPath | undefined;
  /** The bound address (the `Host` of a request that names none). */
  readonly addr: Deno.NetAddr;
  /** Ms a request head may take to arrive. */
  readonly headerTimeout: number;
  /** Ms a keep-alive connection may wait, and a body or response take for its next KiB. */
  readonly idleTimeout: number;
  /** Largest request head in bytes. */
  readonly maxHeader: number;
  /** Largest request body in bytes. */
  readonly maxBody: number;
  /** The server is shutting down: no connection stays open after its exchange. */
  readonly closing: boolean;
}
