/**
 * Where the lab waits for the machines started by hand on other hosts (`lab node --hosts
 * FILE`): a TCP listener at the hosts file's `ctl.lab` line. A machine dials it and says which
 * it is (`{"type":"hello","machine":"m1.lab"}`); the lab answers with the run's settings
 * (`setup`) or refuses it (a machine it does not wait for, or one that joined already); then the
 * connection carries the same JSON lines as a local machine's pipes.
 * @module
 */
import { closedUnder, type SetupLine } from "../node/_lab_link.ts";
import type { NodeLink } from "./_node_process.ts";
import { within } from "./_within.ts";

const encoder = new TextEncoder();
/** Longest a connection may take to say which machine it is, in ms. */
const HELLO_WAIT = 10_000;
/** Longest hello line, in bytes. */
const HELLO_MAX = 4096;

/** The status of a machine whose connection closed (it cannot say how its process ended). */
const HUNG_UP: Deno.CommandStatus = { success: false, code: 1, signal: null };

/** Reads `conn` up to its first newline; the line and the bytes after it. */
async function firstLine(
  reader: ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>>,
): Promise<{ line: string; rest: Uint8Array<ArrayBuffer> } | undefined> {
  let bytes = new Uint8Array(0);
  while (bytes.length <= HELLO_MAX) {
    const { done, value } = await reader.read();
    if (done) return undefined;
    const joined = new Uint8Array(bytes.length + value.length);
    joined.set(bytes);
    joined.set(value, bytes.length);
    bytes = joined;
    const nl = bytes.indexOf(10);
    if (nl >= 0) {
      return { line: new TextDecoder().decode(bytes.slice(0, nl)), rest: bytes.slice(nl + 1) };
    }
  }
  return undefined;
}

/** The link over `conn`, whose reader already gave `rest` past the hello line. */
function connLink(
  conn: Deno.TcpConn,
  reader: ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>>,
  rest: Uint8Array<ArrayBuffer>,
): NodeLink {
  const ended = Promise.withResolvers<Deno.CommandStatus>();
  const close = () => {
    try {
      conn.close();
    } catch (error) {
      // Closed already (by the other side, or by the writer): nothing left to close.
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
  };
  const writer = conn.writable.getWriter();
  const readable = new ReadableStream<Uint8Array<ArrayBuffer>>({
    start(controller) {
      if (rest.length > 0) controller.enqueue(rest);
    },
    async pull(controller) {
      let chunk: ReadableStreamReadResult<Uint8Array<ArrayBuffer>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        // The connection was closed under the read (the lab hung up): the machine is gone.
        if (!closedUnder(error)) throw error;
        chunk = { done: true, value: undefined };
      }
      if (chunk.done) {
        controller.close();
        ended.resolve(HUNG_UP);
      } else {
        controller.enqueue(chunk.value);
      }
    },
  });
  return {
    readable,
    writer,
    status: ended.promise,
    kill: () => {
      writer.write(encoder.encode(JSON.stringify({ type: "crash" }) + "\n")).then(close, close);
    },
  };
}

/** The lab's listener for machines started by hand. */
export class NodeListener {
  readonly #listener: Deno.TcpListener;
  readonly #waiting = new Map<string, { setup: SetupLine; found: (link: NodeLink) => void }>();
  readonly #accepting: Promise<void>;

  private constructor(listener: Deno.TcpListener) {
    this.#listener = listener;
    this.#accepting = this.#accept();
  }

  /**
   * Listens at `hostname:port`.
   *
   * @throws {Error} naming the address when it cannot listen there.
   * @example Listens and closes
   * ```ts
   * import assert from "node:assert/strict";
   * import { NodeListener } from "./_node_listener.ts";
   * const listener = NodeListener.open({ hostname: "127.0.0.1", port: 0 });
   * assert.match(listener.endpoint, /^127\.0\.0\.1:\d+$/);
   * await listener.close();
   * ```
   */
  static open(at: { readonly hostname: string; readonly port: number }): NodeListener {
    try {
      return new NodeListener(Deno.listen({ hostname: at.hostname, port: at.port }));
    } catch (error) {
      throw new Error(
        `Cannot listen for the machines of other hosts at ${at.hostname}:${at.port} (the ` +
          `hosts file's ctl.lab line): ${(error as Error).message}`,
      );
    }
  }

  /** `host:port` it listens at. */
  get endpoint(): string {
    const a = this.#listener.addr;
    return `${a.hostname}:${a.port}`;
  }

  /** Waits for machine `machine` to dial in; answers it with `setup`. */
  expect(machine: string, setup: SetupLine): Promise<NodeLink> {
    const found = Promise.withResolvers<NodeLink>();
    this.#waiting.set(machine, { setup, found: found.resolve });
    return found.promise;
  }

  /** Stops waiting for `machine`. */
  forget(machine: string): void {
    this.#waiting.delete(machine);
  }

  /** Stops listening (the machines that joined keep their connections). */
  async close(): Promise<void> {
    this.#waiting.clear();
    try {
      this.#listener.close();
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
    await this.#accepting;
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) void this.#greet(conn);
    } catch (error) {
      // close() ends the loop under its accept.
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
  }

  async #greet(conn: Deno.TcpConn): Promise<void> {
    const reader = conn.readable.getReader();
    const hello = await within(
      firstLine(reader).catch((error) => {
        // The caller hung up (or reset) before it said hello: nobody to answer.
        if (closedUnder(error)) return undefined;
        throw error;
      }),
      HELLO_WAIT,
    );
    let machine: string | undefined;
    try {
      const line = hello === undefined ? undefined : JSON.parse(hello.line);
      if (line?.type === "hello" && typeof line.machine === "string") machine = line.machine;
    } catch {
      machine = undefined; // Not JSON: not a machine of the lab; refused below.
    }
    const waiting = machine === undefined ? undefined : this.#waiting.get(machine);
    if (waiting === undefined || hello === undefined) {
      const reason = machine === undefined
        ? "say hello first: this port is the lab's, for its machines"
        : `the lab does not wait for machine "${machine}" (not in its hosts file for another ` +
          "host, or it joined already)";
      const refused: SetupLine = { type: "refused", reason };
      const writer = conn.writable.getWriter();
      const gone = (error: unknown) => {
        // The caller hung up first: it hears nothing, which is all it needed to hear.
        if (!closedUnder(error)) throw error;
      };
      await writer.write(encoder.encode(JSON.stringify(refused) + "\n")).catch(gone);
      await writer.close().catch(gone);
      return;
    }
    this.#waiting.delete(machine!);
    const link = connLink(conn, reader, hello.rest);
    await link.writer.write(encoder.encode(JSON.stringify(waiting.setup) + "\n"));
    waiting.found(link);
  }
}
