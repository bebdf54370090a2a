/**
 * Where the lab waits for the machines started by hand on other hosts (`lab node --hosts
 * FILE`): a TCP listener at the hosts file's `ctl.lab` line. A machine dials it and says which
 * it is (`{"type":"hello","machine":"m1.lab"}`); the lab answers with the run's settings
 * (`setup`) or refuses it (a machine it does not wait for, or one that joined already); then the
 * connection carries the same JSON lines as a local machine's pipes. A run with a key first has
 * both sides prove they hold it (`_join_proof.ts`).
 * @module
 */
import { closedUnder, type SetupLine } from "../node/_lab_link.ts";
import type { NodeLink } from "./_node_process.ts";
import { within } from "./_within.ts";
import { AuthKey, joinNonce, joinProof, provesKey } from "../node/_join_proof.ts";

const encoder = new TextEncoder();
/** Longest a connection may take to say which machine it is, in ms. */
const HELLO_WAIT = 10_000;
/** Longest hello line, in bytes. */
const HELLO_MAX = 4096;

/** The status of a machine whose connection closed (it cannot say how its process ended). */
const HUNG_UP: Deno.CommandStatus = { success: false, code: 1, signal: null };

/** Reads up to the next newline after `pending` bytes; the line and the bytes after it. */
async function nextLine(
  reader: ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>>,
  pending: Uint8Array<ArrayBuffer> = new Uint8Array(0),
): Promise<{ line: string; rest: Uint8Array<ArrayBuffer> } | undefined> {
  let bytes = pending;
  for (let nl = bytes.indexOf(10); bytes.length <= HELLO_MAX; nl = bytes.indexOf(10)) {
    if (nl >= 0) {
      return { line: new TextDecoder().decode(bytes.slice(0, nl)), rest: bytes.slice(nl + 1) };
    }
    const { done, value } = await reader.read();
    if (done) return undefined;
    const joined = new Uint8Array(bytes.length + value.length);
    joined.set(bytes);
    joined.set(value, bytes.length);
    bytes = joined;
  }
  return undefined;
}

/** The next line as JSON, within {@link HELLO_WAIT}; `undefined` for silence, a hang-up or junk. */
async function nextMessage(
  reader: ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>>,
  pending?: Uint8Array<ArrayBuffer>,
): Promise<{ message: Record<string, unknown>; rest: Uint8Array<ArrayBuffer> } | undefined> {
  const read = await within(
    nextLine(reader, pending).catch((error) => {
      // The caller hung up (or reset) before it said it: nobody to answer.
      if (closedUnder(error)) return undefined;
      throw error;
    }),
    HELLO_WAIT,
  );
  if (read === undefined) return undefined;
  try {
    const message = JSON.parse(read.line);
    return typeof message === "object" && message !== null
      ? { message, rest: read.rest }
      : undefined;
  } catch {
    return undefined; // Not JSON: not a machine of the lab; the caller refuses it.
  }
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
  readonly #key?: AuthKey;
  readonly #waiting = new Map<string, { setup: SetupLine; found: (link: NodeLink) => void }>();
  readonly #accepting: Promise<void>;

  private constructor(listener: Deno.TcpListener, key?: string) {
    this.#listener = listener;
    if (key !== undefined) this.#key = new AuthKey(key);
    this.#accepting = this.#accept();
  }

  /**
   * Listens at `hostname:port`; with the run's `key`, a machine joins only once it and the lab
   * have proved to each other that they hold it.
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
  static open(
    at: { readonly hostname: string; readonly port: number },
    key?: string,
  ): NodeListener {
    try {
      return new NodeListener(Deno.listen({ hostname: at.hostname, port: at.port }), key);
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
    const hello = await nextMessage(reader);
    const machine = hello?.message.type === "hello" && typeof hello.message.machine === "string"
      ? hello.message.machine
      : undefined;
    const waiting = machine === undefined ? undefined : this.#waiting.get(machine);
    if (hello === undefined || machine === undefined || waiting === undefined) {
      return refuse(
        conn,
        machine === undefined
          ? "say hello first: this port is the lab's, for its machines"
          : `the lab does not wait for machine "${machine}" (not in its hosts file for another ` +
            "host, or it joined already)",
      );
    }
    let rest = hello.rest;
    if (this.#key !== undefined) {
      const proven = await this.#challenge(conn, reader, machine, hello);
      if (proven === undefined) return;
      rest = proven;
    }
    if (this.#waiting.get(machine) !== waiting) return refuse(conn, `"${machine}" joined already`);
    this.#waiting.delete(machine);
    const link = connLink(conn, reader, rest);
    await link.writer.write(encoder.encode(JSON.stringify(waiting.setup) + "\n"));
    waiting.found(link);
  }

  /**
   * Proves the run's key to machine `machine` and has it prove it back; the bytes read past its
   * proof, or `undefined` when it was refused.
   */
  async #challenge(
    conn: Deno.TcpConn,
    reader: ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>>,
    machine: string,
    hello: { message: Record<string, unknown>; rest: Uint8Array<ArrayBuffer> },
  ): Promise<Uint8Array<ArrayBuffer> | undefined> {
    const key = this.#key!;
    const theirs = hello.message.nonce;
    if (typeof theirs !== "string") {
      await refuse(
        conn,
        "this run authenticates every frame: set ARCHLAB_AUTH_KEY to its key on that host",
      );
      return undefined;
    }
    const ours = joinNonce();
    const challenge = {
      type: "challenge",
      nonce: ours,
      proof: joinProof(key, "lab", machine, theirs),
    };
    try {
      await conn.write(encoder.encode(JSON.stringify(challenge) + "\n"));
    } catch (error) {
      if (!closedUnder(error)) throw error;
      await refuse(conn, "it hung up"); // Nobody to challenge: this only closes the connection.
      return undefined;
    }
    const answer = await nextMessage(reader, hello.rest);
    if (answer === undefined || !provesKey(key, "node", machine, ours, answer.message.proof)) {
      await refuse(
        conn,
        "it does not hold this run's key: ARCHLAB_AUTH_KEY differs from the lab's",
      );
      return undefined;
    }
    return answer.rest;
  }
}

/** Tells the caller why it cannot join, and hangs up. */
async function refuse(conn: Deno.TcpConn, reason: string): Promise<void> {
  const refused: SetupLine = { type: "refused", reason };
  const writer = conn.writable.getWriter();
  const gone = (error: unknown) => {
    // The caller hung up first (the stream says so with a TypeError once it errored): it hears
    // nothing, which is all it needed to hear.
    if (!closedUnder(error) && !(error instanceof TypeError)) throw error;
  };
  await writer.write(encoder.encode(JSON.stringify(refused) + "\n")).catch(gone);
  await writer.close().catch(gone);
}
