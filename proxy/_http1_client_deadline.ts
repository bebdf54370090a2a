/**
 * Private part of the origin client (http1_client.ts): the response-head deadline of one request
 * and the request's abort signal; either closes the connection, so a read in flight ends.
 * @module
 */
import { closeConn } from "./_close_conn.ts";

/** The deadline and abort watch of one origin request, until it is settled. */
export class ExchangeDeadline {
  /** The connection to the origin, once made. */
  conn: Deno.Conn | undefined;
  /** The response head did not arrive in time. */
  timedOut = false;
  readonly #timer: ReturnType<typeof setTimeout>;

  /** Starts the deadline of `timeoutMs` and watches `request`'s signal. */
  constructor(readonly request: Request, readonly timeoutMs: number) {
    this.#timer = setTimeout(expire, timeoutMs, this);
    request.signal.addEventListener("abort", this, { once: true });
  }

  /** The error of a request whose response head came too late. */
  late(): Error {
    return new Error(`no response head within ${this.timeoutMs} ms`);
  }

  /** The request was aborted: closes the connection. */
  handleEvent(): void {
    if (this.conn !== undefined) closeConn(this.conn);
  }

  /** The response head arrived (or the request failed): the deadline no longer applies. */
  settle(): void {
    clearTimeout(this.#timer);
  }

  /** Stops watching the request's signal. */
  unwatch(): void {
    this.request.signal.removeEventListener("abort", this);
  }
}

function expire(deadline: ExchangeDeadline): void {
  deadline.timedOut = true;
  if (deadline.conn !== undefined) closeConn(deadline.conn);
}
