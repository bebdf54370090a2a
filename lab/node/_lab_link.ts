/**
 * A machine started by hand on another host (`lab node --hosts FILE`) reaches the lab over TCP
 * instead of through its standard input and output: it dials the lab's address (the file's
 * `ctl.lab` line), says which machine it is, and gets the run's settings back (seed, faults,
 * origin, incarnation); then the same JSON lines flow as through the pipes of a machine the lab
 * started itself.
 * @module
 */

import { waitText } from "../deploy/hosts_file.ts";
import { AuthKey, joinNonce, joinProof, provesKey } from "./_join_proof.ts";

const encoder = new TextEncoder();
/** Ms between two tries to reach the lab. */
const RETRY_MS = 250;

/** The first line the lab answers a machine that dialled it. */
export type SetupLine =
  | {
    type: "setup";
    /** `lab node` flags carrying the run's settings (`--seed`, `--origin`, `--epoch`, faults). */
    args: string[];
    /** The run authenticates every frame: the machine needs the key (ARCHLAB_AUTH_KEY). */
    auth?: boolean;
  }
  | { type: "refused"; reason: string };

/** The control connection of a machine to the lab. */
export interface LabLink {
  /** The run's settings, from the lab. */
  readonly setup: Extract<SetupLine, { type: "setup" }>;
  /** The control lines that follow, one JSON text each. */
  readonly lines: AsyncIterable<string>;
  /** Writes one line (with its newline) to the lab. */
  write(line: string): Promise<void>;
  /** Closes the connection. */
  close(): void;
}

/**
 * The lines of `stream`, without their newlines: one iterator over a stream whose first line
 * the caller may already have taken.
 *
 * @example Two lines, the second unfinished
 * ```ts
 * import assert from "node:assert/strict";
 * import { readLines } from "./_lab_link.ts";
 * const stream = ReadableStream.from([new TextEncoder().encode("a\nb")]);
 * const seen: string[] = [];
 * for await (const line of readLines(stream)) seen.push(line);
 * assert.deepEqual(seen, ["a", "b"]);
 * ```
 */
export async function* readLines(
  stream: ReadableStream<Uint8Array<ArrayBuffer>>,
): AsyncGenerator<string> {
  let buffer = "";
  try {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
        yield buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
      }
    }
  } catch (error) {
    // The connection was closed under the read (this side stopped) or reset (the other side
    // went away): the lines end there, as at the end of the stream.
    if (!closedUnder(error)) throw error;
  }
  if (buffer !== "") yield buffer;
}

/**
 * Whether `error` is a read that ended because its connection closed or was reset.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { closedUnder } from "./_lab_link.ts";
 * assert.equal(closedUnder(new Deno.errors.ConnectionReset("reset")), true);
 * assert.equal(closedUnder(new TypeError("bug")), false);
 * ```
 */
export function closedUnder(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted ||
    error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe;
}

/** Dials `hostname:port` until it answers or `waitMs` ms passed (every 250 ms). */
async function dial(hostname: string, port: number, waitMs: number): Promise<Deno.TcpConn> {
  const attempts = Math.ceil(waitMs / RETRY_MS) + 1;
  for (let attempt = 1;; attempt++) {
    try {
      return await Deno.connect({ hostname, port });
    } catch (error) {
      if (!(error instanceof Deno.errors.ConnectionRefused) || attempt >= attempts) {
        throw new Error(
          `Cannot reach the lab at ${hostname}:${port} (${(error as Error).message}): start the ` +
            "lab with the same --hosts file (its ctl.lab line says where it listens)",
        );
      }
      if (attempt === 1) {
        console.error(
          `archlab: the lab is not listening at ${hostname}:${port} yet; trying again for up to ${
            waitText(waitMs)
          }`,
        );
      }
    }
    // A bounded retry on real time: the lab may be started after its machines.
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

/**
 * Dials the lab at `hostname:port` as machine `machine` and waits for its settings; with the
 * run's `key`, both sides first prove they hold it.
 *
 * @throws {Error} when the lab cannot be reached within `waitMs`, or refuses the machine.
 * @example Joining a lab that waits for m1.lab
 * ```ts
 * import assert from "node:assert/strict";
 * import { connectLab } from "./_lab_link.ts";
 * import { NodeListener } from "../deploy/_node_listener.ts";
 * const listener = NodeListener.open({ hostname: "127.0.0.1", port: 0 });
 * const joined = listener.expect("m1.lab", { type: "setup", args: ["--seed", "4"] });
 * const [host, port] = listener.endpoint.split(":");
 * const link = await connectLab({ hostname: host, port: Number(port) }, "m1.lab", 1000);
 * assert.deepEqual(link.setup.args, ["--seed", "4"]);
 * const lab = await joined;
 * link.close();
 * assert.equal(await new Response(lab.readable).text(), ""); // the machine hung up
 * assert.equal((await lab.status).code, 1);
 * lab.kill();
 * await listener.close();
 * ```
 */
export async function connectLab(
  endpoint: { readonly hostname: string; readonly port: number },
  machine: string,
  waitMs = 60_000,
  key?: string,
): Promise<LabLink> {
  const conn = await dial(endpoint.hostname, endpoint.port, waitMs);
  const close = () => {
    try {
      conn.close();
    } catch (error) {
      // Closed already (the lab hung up first, or its lines were read to the end).
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
  };
  const where = `${endpoint.hostname}:${endpoint.port}`;
  const writer = conn.writable.getWriter();
  const send = (line: unknown) => writer.write(encoder.encode(JSON.stringify(line) + "\n"));
  const authKey = key === undefined ? undefined : new AuthKey(key);
  const ours = authKey === undefined ? undefined : joinNonce();
  await send({ type: "hello", machine, ...(ours ? { nonce: ours } : {}) });
  const lines = readLines(conn.readable);
  const next = async (): Promise<Record<string, unknown>> => {
    const line = await lines.next();
    if (line.done) {
      close();
      throw new Error(`Cannot join the lab at ${where}: it hung up`);
    }
    return JSON.parse(line.value);
  };
  let answer = await next();
  if (answer.type === "challenge") {
    if (authKey === undefined || ours === undefined) {
      close();
      throw new Error(
        `Cannot join the lab as ${machine}: its run authenticates every frame; set ` +
          "ARCHLAB_AUTH_KEY to its key",
      );
    }
    if (!provesKey(authKey, "lab", machine, ours, answer.proof)) {
      close();
      throw new Error(
        `Cannot join the lab at ${where} as "${machine}": it does not hold this run's key ` +
          "(ARCHLAB_AUTH_KEY differs from the lab's)",
      );
    }
    await send({ type: "proof", proof: joinProof(authKey, "node", machine, String(answer.nonce)) });
    answer = await next();
  }
  const setup = answer as SetupLine;
  if (setup.type === "refused") {
    close();
    throw new Error(`Cannot join the lab as "${machine}": ${setup.reason}`);
  }
  return {
    setup,
    lines: { [Symbol.asyncIterator]: () => lines },
    write: (line) => writer.write(encoder.encode(line)),
    close,
  };
}
