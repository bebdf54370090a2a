/**
 * `deno task lab node --machine m1.lab --listen 127.0.0.1:0`: one machine as its own OS process.
 *
 * It prints one JSON line `{"type":"ready","machine":...,"endpoint":...}` on stdout, then reads
 * control lines on stdin (`directory`, `spawn`, `stats`, `stop`) and writes every trace event as
 * an `event` line. The lab's cluster drives it; a person can too, with `--peer` and `--spawn`,
 * and `--module FILE` boots this machine's processes of a user's system (`lab run`'s files).
 * Standard input closing (the lab went away) or SIGINT/SIGTERM stops it.
 * @module
 */
import { format } from "node:util";
import { type Host, startHost } from "../../core/network/host.ts";
import { parseMachine } from "../../core/name.ts";
import type { TraceEvent } from "../../core/trace.ts";
import {
  COMMON_FLAGS,
  type FlagSpec,
  frameAuth,
  openFlags,
  parseCommon,
  refuseFlags,
  UsageError,
} from "../_common.ts";
import { collectReports } from "../deploy/_node_reports.ts";
import { machineSeed } from "../deploy/deploy.ts";
import { findProgram } from "../deploy/programs.ts";
import { loadSystem, systemUrl } from "../run/load_system.ts";
import { type MachineEntry, SystemError } from "../run/system.ts";
import { CONTROL_MACHINE } from "../deploy/deploy.ts";
import { endpointText, type HostEntry, type HostsFile } from "../deploy/hosts_file.ts";
import { connectLab, type LabLink, readLines } from "./_lab_link.ts";
import { joinFailure, listenFailure, startFailure } from "./_start_failure.ts";

const USAGE = `Usage: deno task lab node --machine m1.lab [--listen 127.0.0.1:0]
                          [--peer m2.lab=127.0.0.1:4002 ...] [--spawn kv=kv-server ...]
                          [--module system.ts [--spawn kv ...]]
       deno task lab node --hosts FILE --machine m1.lab

Starts one machine as an OS process hosting named processes. Control lines (JSON) on stdin:
  {"type":"directory","entries":{"m2.lab":"127.0.0.1:4002"}}
  {"type":"spawn","name":"kv","program":"kv-server","args":{}}
  {"type":"cut","machines":["m2.lab"],"on":true}   (frames to m2.lab are lost until "on":false)
  {"type":"stats"}   {"type":"stop"}
It writes JSON lines on stdout: ready, event (every trace event), tick (its clock and whether
anything runs there, every 50 ms), stats, error (a process that failed) and interrupted (it got
SIGINT and stops).

On another host: with --hosts FILE (the lab's hosts file: one "machine.domain host:port" per
line) it listens at its own line and, when the file has a "ctl.lab host:port" line, dials the lab
there (trying for up to 60 s: start it before or after the lab) and takes the run's settings
(seed, faults, incarnation) from it; the control lines then flow over that connection. With
--auth, set ARCHLAB_AUTH_KEY to the run's key: the key never crosses the network.

Runs on: real sockets only: this process is one machine, listening on TCP, or UDP or HTTP with
--transport (the other commands start one per machine; the simulator needs none).

Flags:
  --machine NAME        machine name, machine.domain (required)
  --listen HOST:PORT    where to listen (default 127.0.0.1:0, a free port)
  --peer NAME=HOST:PORT another machine's endpoint (repeatable)
  --spawn NAME=PROGRAM  start a process from the program registry (repeatable)
  --module FILE         a user's system (what \`lab run FILE\` runs): boot this machine's
                        processes from it, or only those named by --spawn NAME
  --hosts FILE          where this machine listens (its line), its peers (the other lines) and
                        the lab that waits for it (the ctl.lab line)
  --lab HOST:PORT       dial the lab there and take the run's settings from it
  --lab-wait S          how long to keep trying to reach the lab, in seconds (default 60)
  --origin MS           wall-clock ms that trace times count from
  --epoch N             the machine's incarnation on the wire (default: wall-clock ms at start);
                        a replacement of a crashed machine needs a higher one
  --disk FILE           keep the machine's disk (ctx.disk) in this SQLite file: what its
                        processes synced survives this node, and a node started again on the
                        same file finds it (default: in memory, lost when the node ends)
  --exempt MACHINE      frames to this machine skip the injected faults and are not counted
                        (the lab passes its own ctl.lab; repeatable)
  --seed N              seed of the injected faults (default 1)
  --drop P, --dup P     injected loss and duplication of the frames this machine sends (0..1)
  --delay MIN..MAX      injected latency in ms before each frame is written
  --reorder P           probability that a frame is held back (up to 3x the --delay bound) and
                        overtaken by later ones (needs --delay)
  --unreliable          switch the reliable channel off
  --transport T         tcp (default), udp or http; every machine of a system uses the same
  --auth KEY, --encrypt authenticate (and seal) every frame (or set ARCHLAB_AUTH_KEY)
  -h, --help            this help

Examples:
  deno task lab node --machine m1.lab --listen 127.0.0.1:4001 --spawn kv=kv-server
  deno task lab node --machine m2.lab --peer m1.lab=127.0.0.1:4001 --drop 0.1
  deno task lab node --machine m1.lab --listen 127.0.0.1:4001 --transport udp --unreliable
  deno task lab node --machine m1.lab --listen 127.0.0.1:4001 --module system.ts
  deno task lab node --machine m2.lab --peer m1.lab=127.0.0.1:4001 --module system.ts
  deno task lab node --hosts hosts.txt --machine m1.lab      # the lab waits for it`;

const NOT_HERE = "lab node runs one machine on real sockets; the simulator needs no node";
const REASONS: Readonly<Record<string, string>> = {
  sim: NOT_HERE,
  crash: "crash a node by stopping its process; --crash is for the architecture commands",
  partition:
    'use the control line {"type":"cut",...}; --partition is for the architecture commands',
  trace: "a node writes every trace event on stdout as an event line",
  json: "a node always writes JSON lines",
  quiet: "a node never narrates",
  skew: "a node runs on its host's clock; --skew is for the architecture commands with --sim",
  ssh: "a node is one machine; --ssh is for the commands that start machines on other hosts",
};

const NODE_FLAGS: Readonly<Record<string, FlagSpec>> = {
  ...COMMON_FLAGS,
  machine: { type: "string" },
  listen: { type: "string" },
  peer: { type: "string", multiple: true },
  spawn: { type: "string", multiple: true },
  module: { type: "string" },
  origin: { type: "string" },
  epoch: { type: "string" },
  disk: { type: "string" },
  exempt: { type: "string", multiple: true },
  lab: { type: "string" },
  "lab-wait": { type: "string" },
};

/** How often an idle node reports its clock, so the lab can put events in time order. */
const TICK_MS = 50;

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
  | { type: "stop" }
  /** Exit at once, as if killed (a machine started by hand on another host, crashed). */
  | { type: "crash" };

/** A line the node writes on stdout. */
export type NodeLine =
  | { type: "ready"; machine: string; endpoint: string; pid: number }
  | { type: "event"; event: TraceEvent }
  | {
    type: "tick";
    t: number;
    /** Processes runnable and timers pending. */
    busy?: number;
    /** Frames sent and received so far. */
    sent?: number;
    received?: number;
  }
  | {
    type: "stats";
    frames: number;
    bytes: number;
    acks: number;
    dropped: number;
    /** What the programs reported (see `_node_reports.ts`). */
    reports?: Record<string, unknown>;
  }
  | { type: "error"; message: string; process?: string; stack?: string }
  | { type: "interrupted" }
  /** The node cannot start (its port in use...), and why; it exits next. */
  | { type: "unstartable"; message: string }
  /** What the machine's code printed, from a machine started by hand (its output is not the lab's). */
  | { type: "print"; text: string };

const encoder = new TextEncoder();

/** Whether a lab reads the node's lines: it started the node (`--epoch`) or the node joined it. */
let toLab = false;

/** Called when standard output is gone (the lab went away): the node stops. */
let onOrphaned = () => {};

/** Where the node's lines go: standard output, or its connection to the lab. */
let sink = (text: string): void => {
  try {
    Deno.stdout.writeSync(encoder.encode(text));
  } catch (error) {
    if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
    onOrphaned();
  }
};

function emit(line: NodeLine): void {
  sink(JSON.stringify(line) + "\n");
}

/** The node's own words, on this host's standard error (never forwarded to the lab). */
const say: (text: string) => void = console.error.bind(console);

/**
 * On a machine started by hand, what its code prints goes to the lab (which shows it as it shows
 * a local machine's, `[m1.lab] ...`), not only to this host's terminal: MPI's output forwarding.
 */
function forwardConsole(): void {
  for (const method of ["log", "info", "warn", "error", "debug"] as const) {
    console[method] = (...data: unknown[]) => emit({ type: "print", text: format(...data) });
  }
}

/** The lab hung up on a node started by hand: what the failed write says, then it stops. */
function hungUp(error: unknown): void {
  const gone = error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BadResource ||
    error instanceof TypeError;
  if (!gone) say(`archlab: cannot write to the lab: ${error}`);
  onOrphaned();
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

function machineName(text: string, flag: string): string {
  try {
    const { machine, domain } = parseMachine(text);
    return `${machine}.${domain}`;
  } catch (error) {
    throw new UsageError(`Cannot use ${flag} "${text}": ${(error as Error).message}`, USAGE);
  }
}

/**
 * The processes `--module FILE` boots on `machine`: all that FILE gives it, or those `--spawn`
 * names (a `NAME=PROGRAM` there is refused: with --module every name is one of FILE's).
 */
async function bootList(
  file: string,
  machine: string,
  names: readonly string[],
): Promise<{ url: string; processes: readonly { name: string }[] }> {
  const url = systemUrl(file, Deno.env.get("INIT_CWD") ?? Deno.cwd());
  let machines: MachineEntry[];
  try {
    machines = await loadSystem(url, { source: file });
  } catch (error) {
    if (error instanceof SystemError) throw new UsageError(error.message, USAGE);
    throw error;
  }
  const own = machines.find((m) => m.name === machine)?.processes ?? [];
  const known = own.map((p) => p.name);
  for (const name of names) {
    if (known.includes(name)) continue;
    throw new UsageError(
      `Cannot use --spawn "${name}" with --module: "${file}" gives ${machine} ${
        known.length === 0 ? "no processes" : `only ${known.join(", ")}`
      }`,
      USAGE,
    );
  }
  if (own.length === 0) {
    throw new UsageError(
      `Cannot boot ${machine} from "${file}": it gives this machine no processes; its machines: ${
        machines.map((m) => m.name).join(", ")
      }`,
      USAGE,
    );
  }
  return { url, processes: names.length === 0 ? own : names.map((name) => ({ name })) };
}

/** What a node runs with: its flags, read and checked, and its line to the lab if any. */
interface NodeSettings {
  readonly machine: string;
  readonly values: Record<string, unknown>;
  readonly common: ReturnType<typeof parseCommon>;
  readonly listen: { hostname: string; port: number };
  /** Its connection to the lab, for a machine started by hand on another host. */
  readonly link?: LabLink;
}

/**
 * `--hosts FILE` for machine `machine`: where it listens (its line), the other machines' lines
 * (its first directory) and where the lab waits for it (the `ctl.lab` line), if anywhere.
 */
function fromHostsFile(machine: string, file: HostsFile | undefined) {
  if (file === undefined) return { peers: [] as HostEntry[] };
  const own = file.entries.find((e) => e.machine === machine);
  if (own === undefined) {
    throw new UsageError(
      `Cannot start ${machine} from hosts file "${file.path}": it has no line for this machine; ` +
        `add "${machine} HOST:PORT" (its machines: ${
          file.entries.map((e) => e.machine).join(", ")
        })`,
      USAGE,
    );
  }
  return {
    listen: endpointText(own),
    lab: file.entries.find((e) => e.machine === CONTROL_MACHINE),
    peers: file.entries.filter((e) => e !== own && e.machine !== CONTROL_MACHINE),
  };
}

/** `--lab-wait S` in ms (default 60 s). */
function labWait(value: unknown): number {
  if (value === undefined) return 60_000;
  const seconds = Number(value);
  if (!/^\d*\.?\d+$/.test(String(value)) || !(seconds > 0)) {
    throw new UsageError(`Cannot use --lab-wait "${value}": give seconds, more than 0`, USAGE);
  }
  return seconds * 1000;
}

/** Reads the flags; a machine the lab waits for dials it and takes the run's settings. */
async function nodeSettings(args: string[]): Promise<NodeSettings | undefined> {
  const opened = openFlags(args, NODE_FLAGS, USAGE);
  if (opened === undefined) return undefined;
  let values: Record<string, unknown> = opened.values;
  refuseFlags(values, REASONS, USAGE);
  if (typeof values.machine !== "string") {
    throw new UsageError("Cannot start node: --machine is required", USAGE);
  }
  const machine = starting = machineName(values.machine, "--machine");
  toLab = values.epoch !== undefined;
  let common = parseCommon(values, USAGE);
  const placed = fromHostsFile(machine, common.hosts);
  const lab = typeof values.lab === "string" ? parseEndpoint(values.lab, USAGE) : placed.lab;
  let link: LabLink | undefined;
  if (lab !== undefined) {
    link = await connectLab(lab, machine, labWait(values["lab-wait"]), common.auth).catch(
      (error) => {
        throw joinFailure(machine, error);
      },
    );
    values = openFlags([...args, ...link.setup.args], NODE_FLAGS, USAGE)!.values;
    common = parseCommon(values, USAGE);
    if (link.setup.auth && common.auth === undefined) {
      link.close();
      throw joinFailure(
        machine,
        new Error(
          `Cannot join the lab as ${machine}: its run authenticates every frame; set ` +
            "ARCHLAB_AUTH_KEY to its key",
        ),
      );
    }
    const write = link.write;
    sink = (text) => void write(text).catch(hungUp);
    toLab = true;
    forwardConsole();
  }
  for (const peer of placed.peers) {
    values.peer = [
      ...(values.peer as string[] | undefined) ?? [],
      `${peer.machine}=${endpointText(peer)}`,
    ];
  }
  const listen = parseEndpoint(
    typeof values.listen === "string" ? values.listen : placed.listen ?? "127.0.0.1:0",
    USAGE,
  );
  return { machine, values, common, listen, link };
}

/** The machine being started, once its name is read: a start-up failure names it. */
let starting: string | undefined;

/**
 * Runs one machine until stopped; returns the exit code.
 * @throws {MachineStartError} when its input keeps it from starting (the address it listens
 * on, its disk file, the lab it joins), naming that input and what to do.
 */
export async function runNode(args: string[]): Promise<number> {
  let started;
  try {
    started = await startNode(args);
  } catch (error) {
    throw startFailure(starting, error);
  }
  if (started === undefined) return 0;
  const { settings: { values, link }, placement, module, host } = started;
  const stopped = Promise.withResolvers<void>();
  onOrphaned = () => stopped.resolve();
  const control = nodeControl(host, placement.directory, stopped);
  emit({ type: "ready", machine: host.machine.name, endpoint: host.endpoint, pid: Deno.pid });
  if (module !== undefined) {
    for (const process of module.processes) {
      control.spawn(process.name, "system-process", { module: module.url, process: process.name });
    }
  }
  for (const item of module === undefined ? (values.spawn as string[] | undefined) ?? [] : []) {
    const [name, program] = item.split("=");
    control.spawn(name, program ?? name);
  }
  const onSignal = () => stopped.resolve();
  // Ctrl-C in a terminal reaches the lab and its machines together: the lab hears it from the
  // machine too, so a machine that stops first is not taken for one that failed.
  const onInterrupt = () => {
    emit({ type: "interrupted" });
    stopped.resolve();
  };
  Deno.addSignalListener("SIGINT", onInterrupt);
  Deno.addSignalListener("SIGTERM", onSignal);
  const ticks = setInterval(() => emitTick(host), TICK_MS);
  const reading = readControl(link, control.handle, stopped);
  await stopped.promise;
  clearInterval(ticks);
  control.stats();
  Deno.removeSignalListener("SIGINT", onInterrupt);
  Deno.removeSignalListener("SIGTERM", onSignal);
  await host.close();
  link?.close();
  void reading;
  return 0;
}

/** Reads the settings, the processes to boot and starts the host: a node up to "ready". */
async function startNode(args: string[]) {
  const settings = await nodeSettings(args);
  if (settings === undefined) return undefined;
  const { machine, values } = settings;
  const placement = hostPlacement(values);
  const module = typeof values.module === "string"
    ? await bootList(values.module, machine, (values.spawn as string[] | undefined) ?? [])
    : undefined;
  const host = await startNodeHost(settings, placement);
  return { settings, placement, module, host };
}

/** Where the machine stands: exempt machines, time origin, epoch, and its peers' endpoints. */
interface HostPlacement {
  readonly exempt: string[];
  readonly origin?: number;
  readonly epoch?: number;
  /** Machine name → `host:port`, from `--peer` and then the lab's directory lines. */
  readonly directory: Map<string, string>;
}

/** Reads `--exempt`, `--origin`, `--epoch` and `--peer`, each checked. */
function hostPlacement(values: Record<string, unknown>): HostPlacement {
  const exempt = ((values.exempt as string[] | undefined) ?? []).map((m) =>
    machineName(m, "--exempt")
  );
  const origin = values.origin === undefined ? undefined : Number(values.origin);
  if (origin !== undefined && !Number.isFinite(origin)) {
    throw new UsageError(`Cannot use --origin "${values.origin}": give wall-clock ms`, USAGE);
  }
  const epoch = values.epoch === undefined ? undefined : Number(values.epoch);
  if (epoch !== undefined && !Number.isSafeInteger(epoch)) {
    throw new UsageError(`Cannot use --epoch "${values.epoch}": give an integer`, USAGE);
  }
  const directory = new Map<string, string>();
  for (const peer of (values.peer as string[] | undefined) ?? []) {
    const [name, endpoint] = peer.split("=");
    if (!name || !endpoint) {
      throw new UsageError(`Cannot use --peer "${peer}": write NAME=HOST:PORT`, USAGE);
    }
    parseEndpoint(endpoint, USAGE);
    directory.set(machineName(name, "--peer"), endpoint);
  }
  return { exempt, origin, epoch, directory };
}

/** Starts the machine's host: its network, faults and trace, its process errors as lines. */
async function startNodeHost(settings: NodeSettings, placement: HostPlacement): Promise<Host> {
  const { machine, values, common, listen } = settings;
  const { origin, epoch, exempt, directory } = placement;
  const host: Host = await startHost(machine, {
    transport: common.transport,
    resolve: (name) => directory.get(name),
    listen,
    // One generator per machine, as in the simulator: machines do not draw the same numbers.
    seed: machineSeed(common.seed, machine),
    origin,
    epoch,
    disk: typeof values.disk === "string" && values.disk !== "" ? values.disk : undefined,
    exempt,
    reliable: common.reliable,
    drop: common.drop,
    duplicate: common.duplicate,
    reorder: common.reorder,
    latency: common.latency,
    auth: frameAuth(common),
    trace: { record: (event) => emit({ type: "event", event }) },
    onProcessError: (address, error) => emitProcessError(host, address, error),
  }).catch((error) => {
    throw listenFailure(machine, `${listen.hostname}:${listen.port}`, error) ?? error;
  });
  return host;
}

/** Reports a process's failure: a log event in the trace, then an error line. */
function emitProcessError(host: Host, address: string, error: unknown): void {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  emit({
    type: "event",
    event: { t: host.machine.runtime.now(), ev: "log", at: address, note: `error: ${message}` },
  });
  emit({
    type: "error",
    process: address,
    message,
    stack: error instanceof Error ? error.stack : undefined,
  });
}

/** What the node does for the lab: spawn processes, report counters, obey control lines. */
interface NodeControl {
  spawn(name: string, program: string, args?: Record<string, unknown>, capacity?: number): void;
  stats(): void;
  handle(line: ControlLine): void;
}

/** The node's answers to the lab's control lines, on `host`. */
function nodeControl(
  host: Host,
  directory: Map<string, string>,
  stopped: PromiseWithResolvers<void>,
): NodeControl {
  const stats = () => {
    const s = host.network.stats;
    emit({
      type: "stats",
      frames: s.frames,
      bytes: s.bytes,
      acks: s.acks,
      dropped: s.dropped,
      reports: collectReports(),
    });
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
      case "crash":
        // Killed by the lab: no goodbye, no last counters, as SIGKILL would leave it.
        Deno.exit(137);
    }
  };
  return { spawn, stats, handle };
}

/** Tells the lab the machine's clock and how busy it is. */
function emitTick(host: Host): void {
  const a = host.activity();
  emit({
    type: "tick",
    t: host.machine.runtime.now(),
    busy: a.runnable + a.timers,
    sent: a.sent,
    received: a.received,
  });
}

/** Obeys the control lines (from the lab's link, or stdin) until they end; then stops. */
async function readControl(
  link: LabLink | undefined,
  handle: (line: ControlLine) => void,
  stopped: PromiseWithResolvers<void>,
): Promise<void> {
  for await (const raw of link?.lines ?? readLines(Deno.stdin.readable)) {
    const text = raw.trim();
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
  stopped.resolve();
}

if (import.meta.main) {
  try {
    Deno.exit(await runNode(Deno.args));
  } catch (error) {
    if (error instanceof UsageError) {
      say(`${error.message}\n\n${error.usage}`);
      Deno.exit(2);
    }
    if (
      error instanceof Error && error.message.startsWith("Cannot ") &&
      !Deno.env.get("ARCHLAB_DEBUG")
    ) {
      // The lab that started it says why, naming the machine; run by hand, the node says it.
      if (toLab) emit({ type: "unstartable", message: error.message });
      say(`archlab: ${error.message}`);
      Deno.exit(1);
    }
    throw error;
  }
}
