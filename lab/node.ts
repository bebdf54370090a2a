/**
 * `deno task lab node --machine m1.lab --listen 127.0.0.1:0`: one machine as its own OS process.
 *
 * It prints one JSON line `{"type":"ready","machine":...,"endpoint":...}` on stdout, then reads
 * control lines on stdin (`directory`, `spawn`, `stats`, `stop`) and writes every trace event as
 * an `event` line. The lab's cluster drives it; a person can too, with `--peer` and `--spawn`.
 * Standard input closing (the lab went away) or SIGINT/SIGTERM stops it.
 * @module
 */
import { startHost } from "../core/host.ts";
import type { TraceEvent } from "../core/trace.ts";
import { COMMON_FLAGS, COMMON_HELP, parseCommon, parseFlags, UsageError } from "./_common.ts";
import { findProgram } from "./programs.ts";

const USAGE = `Usage: deno task lab node --machine m1.lab [--listen 127.0.0.1:0]
                          [--peer m2.lab=127.0.0.1:4002 ...] [--spawn kv=kv-server ...]

Starts one machine as an OS process hosting named processes. Control lines (JSON) on stdin:
  {"type":"directory","entries":{"m2.lab":"127.0.0.1:4002"}}
  {"type":"spawn","name":"kv","program":"kv-server","args":{}}
  {"type":"cut","machines":["m2.lab"],"on":true}   (frames to m2.lab are lost until "on":false)
  {"type":"stats"}   {"type":"stop"}
Flags:
  --machine NAME        machine name, machine.domain (required)
  --listen HOST:PORT    where to listen (default 127.0.0.1:0, a free port)
  --peer NAME=HOST:PORT another machine's endpoint (repeatable)
  --spawn NAME=PROGRAM  start a process from the program registry (repeatable)
  --origin MS           wall-clock ms that trace times count from
${COMMON_HELP}`;

/** A control line from the lab. */
export type ControlLine =
  | { type: "directory"; entries: Record<string, string> }
  | {
    type: "spawn";
    name: string;
    program: string;
    args?: Record<string, unknown>;
    capacity?: number;
  }
  | { type: "cut"; machines: string[]; on: boolean }
  | { type: "stats" }
  | { type: "stop" };

/** A line the node writes on stdout. */
export type NodeLine =
  | { type: "ready"; machine: string; endpoint: string; pid: number }
  | { type: "event"; event: TraceEvent }
  | { type: "stats"; frames: number; bytes: number; acks: number; dropped: number }
  | { type: "error"; message: string };

const encoder = new TextEncoder();

function emit(line: NodeLine): void {
  Deno.stdout.writeSync(encoder.encode(JSON.stringify(line) + "\n"));
}

function parseEndpoint(text: string, usage: string): { hostname: string; port: number } {
  const colon = text.lastIndexOf(":");
  const port = Number(text.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(
      `Cannot use endpoint "${text}": write HOST:PORT, e.g. 127.0.0.1:4001`,
      usage,
    );
  }
  return { hostname: text.slice(0, colon), port };
}

/** Runs one machine until stopped; returns the exit code. */
export async function runNode(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    ...COMMON_FLAGS,
    machine: { type: "string" },
    listen: { type: "string" },
    peer: { type: "string", multiple: true },
    spawn: { type: "string", multiple: true },
    origin: { type: "string" },
  }, USAGE);
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (typeof values.machine !== "string") {
    throw new UsageError("Cannot start node: --machine is required", USAGE);
  }
  const common = parseCommon(values, USAGE);
  const listen = parseEndpoint(
    typeof values.listen === "string" ? values.listen : "127.0.0.1:0",
    USAGE,
  );
  const directory = new Map<string, string>();
  for (const peer of (values.peer as string[] | undefined) ?? []) {
    const [name, endpoint] = peer.split("=");
    if (!name || !endpoint) {
      throw new UsageError(`Cannot use --peer "${peer}": write NAME=HOST:PORT`, USAGE);
    }
    parseEndpoint(endpoint, USAGE);
    directory.set(name, endpoint);
  }
  const host = await startHost(values.machine, {
    resolve: (machine) => directory.get(machine),
    listen,
    seed: common.seed,
    origin: typeof values.origin === "string" ? Number(values.origin) : undefined,
    reliable: common.reliable,
    drop: common.drop,
    duplicate: common.duplicate,
    latency: common.latency,
    auth: common.auth === undefined ? undefined : { key: common.auth, encrypt: common.encrypt },
    trace: { record: (event) => emit({ type: "event", event }) },
    onProcessError: (address, error) =>
      emit({ type: "error", message: `${address}: ${(error as Error)?.stack ?? error}` }),
  });
  const stopped = Promise.withResolvers<void>();
  const stats = () => {
    const s = host.network.stats;
    emit({ type: "stats", frames: s.frames, bytes: s.bytes, acks: s.acks, dropped: s.dropped });
  };
  const spawn = (
    name: string,
    program: string,
    args: Record<string, unknown> = {},
    capacity?: number,
  ) => {
    try {
      host.machine.spawn(name, findProgram(program)(args), { capacity: capacity ?? undefined });
    } catch (error) {
      emit({ type: "error", message: (error as Error).message });
    }
  };
  const handle = (line: ControlLine) => {
    switch (line.type) {
      case "directory":
        for (const [name, endpoint] of Object.entries(line.entries)) {
          if (directory.get(name) !== endpoint) host.network.forget(name);
          directory.set(name, endpoint);
        }
        break;
      case "spawn":
        spawn(line.name, line.program, line.args, line.capacity);
        break;
      case "cut":
        host.network.cut(line.machines, line.on);
        break;
      case "stats":
        stats();
        break;
      case "stop":
        stopped.resolve();
        break;
    }
  };
  emit({ type: "ready", machine: host.machine.name, endpoint: host.endpoint, pid: Deno.pid });
  for (const item of (values.spawn as string[] | undefined) ?? []) {
    const [name, program] = item.split("=");
    spawn(name, program ?? name);
  }
  const onSignal = () => stopped.resolve();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const reading = (async () => {
    let buffer = "";
    for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
        const text = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (text === "") continue;
        try {
          handle(JSON.parse(text) as ControlLine);
        } catch (error) {
          emit({
            type: "error",
            message: `Cannot read control line ${JSON.stringify(text)}: ${error}`,
          });
        }
      }
    }
    stopped.resolve();
  })();
  await stopped.promise;
  stats();
  Deno.removeSignalListener("SIGINT", onSignal);
  Deno.removeSignalListener("SIGTERM", onSignal);
  await host.close();
  void reading;
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await runNode(Deno.args));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${error.usage}`);
      Deno.exit(2);
    }
    throw error;
  }
}
