/**
 * Real deployments: every machine is its own OS process (`lab node`) on 127.0.0.1, wired through
 * a directory the lab hands out; the lab itself hosts machine `ctl.lab`. Trace events of every
 * node stream back and are merged into one trace, in time order, with times counted from the
 * start of the run (when the machines boot). Crash windows are kept in wall time: the
 * replacement process starts as soon as the old one is killed and stays unreachable until the
 * restart time, so its start-up (about half a second for `deno run`) is hidden inside the window;
 * a window shorter than that restarts late, and the restart event says by how much. A process
 * that fails on a machine fails the run; Ctrl-C ends the run, and both stop every machine. A
 * machine whose OS process dies on its own (`kill -9`) is a crash the lab notices and says on
 * stderr: restarted at once when the run restarts that machine after crashes (a `--crash` with
 * a restart time); otherwise the run goes on without it until the others are done, idle, or
 * stuck (nothing delivered for a while), and ends with a `MachineLostError` naming it.
 *
 * Every machine reports, with its clock ticks, whether anything runs or waits on a timer there
 * and how many frames it sent and received: when every machine has stayed idle with its
 * counters standing still for a while, nothing is left that could wake any of them (the
 * simulator's quiescence, on real machines). The lab can also host machines of the experiment
 * in its own OS process (clients, each with its own TCP endpoint), besides `ctl.lab`.
 * @module
 */
import { type Host, startHost } from "../../core/network/host.ts";
import type { Machine } from "../../core/machine.ts";
import type { ProcessFn } from "../../core/process.ts";
import { wallClock } from "../../core/real_runtime.ts";
import { Trace, type TraceEvent } from "../../core/trace.ts";
import { busy, idleFor, type IdleWatch, watchIdle } from "./_idle_watch.ts";
import {
  howDied,
  InterruptedError,
  type MachineLoss,
  MachineLostError,
  MachineProcessError,
} from "./run_errors.ts";
import { TimeOrder } from "./_time_order.ts";
import {
  CONTROL_MACHINE,
  type Deployment,
  type DeployOptions,
  type DeployStats,
  keepTrace,
  machineSeed,
  type MachineSpec,
} from "./deploy.ts";
import type { ControlLine, NodeLine } from "../node/command.ts";

const NODE_SCRIPT = new URL("../node/command.ts", import.meta.url);
/** The lab's own configuration (import map, lock): a machine finds it from any directory. */
const CONFIG = new URL("../../deno.json", import.meta.url);
const PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-env",
  "--allow-sys",
];
const encoder = new TextEncoder();
/** A machine not heard from for this many ms (it ticks every 50) is not known to be idle. */
const STALE = 250;
/** Longest a narrated event waits for a silent machine before it is printed anyway, in ms. */
const ORDER_PATIENCE = 2000;
/**
 * Longest the lab waits on its machines at the end of a run, in ms: for their counters, for a
 * machine to stop when told to (then it is killed), for a killed one to be gone. A machine that
 * hangs must never keep the lab (and Ctrl-C) from ending.
 */
const STOP_WAIT = 3000;
/**
 * After a machine died for good (its OS process exited, not stopped by the lab, and nothing
 * restarts it), the run goes on while the others make progress; it ends once no message has
 * been delivered anywhere for this many ms (they are all waiting on the dead one).
 */
const LOST_STALL = 3000;
/** After a machine died for good, the run ends once every other has been idle this long (ms). */
const LOST_QUIET = 1000;

interface NodeProcess {
  readonly spec: MachineSpec;
  /** Key of its event stream in the time-order merge. */
  readonly source: string;
  child: Deno.ChildProcess;
  writer: WritableStreamDefaultWriter<Uint8Array>;
  endpoint: string;
  stats: { frames: number; bytes: number; acks: number };
  statsWaiter?: PromiseWithResolvers<void>;
  /** What its programs reported in its last stats line. */
  reports?: Record<string, unknown>;
  /** Since when (ms since the start of the run) it has been idle, if it is. */
  idle: IdleWatch;
  exited: Promise<void>;
  stopping: boolean;
  /** Its OS process has exited: no line will come from it any more. */
  gone: boolean;
}

/** Waits for `promise` at most `ms` ms; `undefined` when the time ran out first. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A deployment of OS processes, with what only real machines have. */
export interface TcpDeployment extends Deployment {
  /** Always `"tcp"`. */
  readonly transport: "tcp";
  /** Ms since the start of the run (when the machines booted). */
  now(): number;
  /**
   * Ms for which every machine (OS processes and the lab's own) has been idle: no process
   * runnable, no timer pending, no frame sent or received; 0 while any is busy.
   */
  quietFor(): number;
  /**
   * Starts machine `name` in the lab's own OS process, with its own TCP endpoint, in the
   * directory and under the same faults as the others (not exempt, unlike `ctl.lab`).
   */
  host(name: string): Promise<Machine>;
  /** What the programs on each running machine reported in its last stats line. */
  reports(): Record<string, unknown>[];
}

/** Drops the failure to write to a node whose standard input is already closed. */
function stdinClosed(error: unknown): void {
  // The node exited (killed, or stopped by its own Ctrl-C): nothing is left to tell it.
  if (error instanceof Deno.errors.BrokenPipe || error instanceof TypeError) return;
  console.error(`archlab: cannot write to a machine's standard input: ${error}`);
}

function send(node: NodeProcess, line: ControlLine): void {
  node.writer.write(encoder.encode(JSON.stringify(line) + "\n")).catch(stdinClosed);
}

function flagArgs(options: DeployOptions): string[] {
  const args = ["--seed", String(options.seed ?? 1)];
  if (options.reliable === false) args.push("--unreliable");
  if (options.drop) args.push("--drop", String(options.drop));
  if (options.duplicate) args.push("--dup", String(options.duplicate));
  if (options.auth?.encrypt) args.push("--encrypt");
  if (options.controlExempt !== false) args.push("--exempt", CONTROL_MACHINE);
  if (options.latency) {
    const l = options.latency;
    args.push(
      "--delay",
      l.kind === "constant"
        ? String(l.ms)
        : l.kind === "uniform"
        ? `${l.min}..${l.max}`
        : `exp:${l.mean}`,
    );
  }
  return args;
}

/** A sentence on what a run did before it was interrupted: the partial summary. */
function partial(trace: Trace): string {
  let messages = 0, delivered = 0;
  const control = `@${CONTROL_MACHINE}`;
  for (const e of trace.events) {
    if (e.to?.endsWith(control) || e.from?.endsWith(control)) continue;
    if (e.ev === "send") messages++;
    else if (e.ev === "deliver") delivered++;
  }
  return `partial summary: ${messages} messages sent, ${delivered} delivered, ${
    trace.count("retransmit")
  } retransmissions, ${trace.count("crash")} crashes before Ctrl-C`;
}

/** Starts `machines` as OS processes and the control machine in this one. */
export async function deployTcp(
  machines: readonly MachineSpec[],
  options: DeployOptions = {},
): Promise<TcpDeployment> {
  const origin = wallClock();
  /** Wall-clock ms at the start of the run; trace times count from here. */
  let start = origin;
  const runTime = () => wallClock() - start;
  const trace = new Trace();
  if (options.onEvent) trace.listen(options.onEvent);
  const order = new TimeOrder((event) => trace.record(event), {
    now: runTime,
    patience: ORDER_PATIENCE,
  });
  const fromStart = (t: number) => Math.round((t - (start - origin)) * 1000) / 1000;
  /** Records an event of the lab itself (crash, restart, partition), timed now. */
  const note = (event: Omit<TraceEvent, "t">) =>
    order.push(CONTROL_MACHINE, { t: fromStart(wallClock() - origin), ...event } as TraceEvent);
  const directory = new Map<string, string>();
  const nodes = new Map<string, NodeProcess>();
  /** Every machine process started and not exited yet, spares still starting included. */
  const children = new Set<Deno.ChildProcess>();
  /** Set once the lab stops every machine: an exit from then on is expected. */
  let stoppingAll = false;
  let launched = 0;
  /** Resolves when the run must end early: a failure or Ctrl-C. */
  const alarm = Promise.withResolvers<void>();
  let failure: Error | undefined;
  /** Whether `failure` has been thrown to the caller. */
  let thrown = false;
  let interrupted: InterruptedError | undefined;
  const fail = (error: Error) => {
    if (failure !== undefined || interrupted !== undefined) return;
    failure = error;
    alarm.resolve();
  };
  /** Ctrl-C, heard by the lab or first by one of its machines: the run ends, all machines stop. */
  const interrupt = () => {
    if (failure !== undefined || interrupted !== undefined) return;
    interrupted = new InterruptedError(runTime());
    console.error("\narchlab: interrupted; stopping every machine (Ctrl-C again to force)");
    alarm.resolve();
  };

  /** Machines that died during the run and were not restarted. */
  const lost: MachineLoss[] = [];
  /** Whether the current run bounds its own wait after a loss (`run`'s `waitOnLoss`). */
  let waitOnLoss = false;
  const lostListeners: ((loss: MachineLoss) => void)[] = [];
  /** When a message was last delivered on a machine of the run (ms since its start). */
  let delivered = 0;
  /**
   * Machine `node` died (`kill -9`, out of memory) without the lab stopping it: says so, and
   * restarts it when the run restarts it after crashes; otherwise the run goes on without it
   * and ends once the others stop making progress (see `run`).
   */
  const died = (node: NodeProcess, status: Deno.CommandStatus) => {
    const name = node.spec.name;
    const loss: MachineLoss = {
      machine: name,
      time: runTime(),
      code: status.code,
      ...(status.signal ? { signal: status.signal } : {}),
    };
    node.stopping = true;
    note({ ev: "crash", at: name, note: `${name} (${howDied(loss)})` });
    const said = `archlab: machine "${name}" died at ${loss.time.toFixed(0)} ms (${howDied(loss)})`;
    if (interrupted !== undefined || failure !== undefined) return;
    if (options.spares?.includes(name)) {
      console.error(`${said}; restarting it, as this run restarts it after a crash`);
      restartAt(node, takeSpare(name) ?? startSpare(node.spec), runTime());
      return;
    }
    lost.push(loss);
    for (const listener of lostListeners) listener(loss);
    console.error(
      `${said}; not restarted (a --crash with a restart time for it would restart it): ${
        waitOnLoss
          ? "the run stops waiting for it and ends with what the others did"
          : `the run goes on while the others make progress, and ends ${
            LOST_STALL / 1000
          } s after they stop`
      }`,
    );
  };

  /** Kills every machine process, spares still starting included. */
  const killAll = () => {
    for (const node of nodes.values()) node.stopping = true;
    for (const child of children) {
      try {
        child.kill("SIGKILL");
      } catch (error) {
        // It exited meanwhile (Deno says so with a TypeError): nothing left to kill.
        if (!(error instanceof TypeError)) throw error;
      }
    }
  };
  /** Ctrl-C the lab itself heard (its machines report theirs apart). */
  let sigints = 0;
  const onSigint = () => {
    if (++sigints > 1) {
      console.error("archlab: interrupted again; killing every machine now");
      killAll();
      Deno.exit(130);
    }
    interrupt();
  };
  // Listening before the first machine starts: a Ctrl-C while they boot (their first frames
  // are narrated already) ends the run with its partial summary instead of killing the lab.
  Deno.addSignalListener("SIGINT", onSigint);
  // `kill` and service managers stop the lab with SIGTERM: the same orderly end as Ctrl-C.
  Deno.addSignalListener("SIGTERM", onSigint);

  /** OS processes started so far for each machine. */
  const launches = new Map<string, number>();
  const incarnation = (name: string) => {
    const n = launches.get(name) ?? 0;
    launches.set(name, n + 1);
    return n;
  };

  const launch = async (spec: MachineSpec): Promise<NodeProcess> => {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...PERMISSIONS,
        "--config",
        CONFIG.pathname,
        NODE_SCRIPT.pathname,
        "--machine",
        spec.name,
        "--origin",
        String(origin),
        // Every process of a machine a higher incarnation than the one before it, even a
        // replacement started early: peers take the old one's frames for stale, not its own.
        "--epoch",
        String(Math.floor(origin) + incarnation(spec.name)),
        ...flagArgs(options),
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
      // The key travels in the environment, not on the command line other users can read.
      env: options.auth ? { ARCHLAB_AUTH_KEY: options.auth.key } : undefined,
    }).spawn();
    children.add(child);
    const ready = Promise.withResolvers<string>();
    const node: NodeProcess = {
      spec,
      source: `${spec.name}#${++launched}`,
      child,
      writer: child.stdin.getWriter(),
      endpoint: "",
      stats: { frames: 0, bytes: 0, acks: 0 },
      idle: { counters: "" },
      exited: Promise.resolve(),
      stopping: false,
      gone: false,
    };
    const handle = (line: NodeLine) => {
      switch (line.type) {
        case "ready":
          ready.resolve(line.endpoint);
          break;
        case "event":
          if (line.event.ev === "deliver") delivered = runTime();
          order.push(node.source, { ...line.event, t: fromStart(line.event.t) });
          break;
        case "tick":
          order.push(node.source, fromStart(line.t));
          if (line.busy !== undefined) {
            watchIdle(node.idle, line as Required<typeof line>, runTime());
          }
          break;
        case "error":
          if (node.stopping) break; // A consequence of stopping it, not a failure of the run.
          fail(
            new MachineProcessError({
              machine: spec.name,
              process: line.process,
              detail: line.message,
              time: runTime(),
              stack: line.stack,
            }),
          );
          break;
        case "stats":
          node.stats = { frames: line.frames, bytes: line.bytes, acks: line.acks };
          if (line.reports !== undefined) node.reports = line.reports;
          node.statsWaiter?.resolve();
          break;
        case "interrupted":
          // Ctrl-C reached the machine (with the lab, or alone): it stops, so does the run.
          node.stopping = true;
          interrupt();
          break;
      }
    };
    const reading = (async () => {
      let buffer = "";
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        buffer += chunk;
        for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
          const text = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          let line: NodeLine;
          try {
            line = JSON.parse(text);
          } catch {
            // Not a control line: something the machine's code printed. Show it as it is.
            console.error(`[${spec.name}] ${text}`);
            continue;
          }
          handle(line);
        }
      }
    })();
    node.exited = Promise.all([reading, child.status]).then(([, status]) => {
      node.gone = true;
      children.delete(child);
      order.close(node.source);
      ready.reject(
        new Error(`Cannot start machine "${spec.name}": its process exited before it was ready`),
      );
      node.statsWaiter?.resolve();
      if (node.stopping || stoppingAll || node.endpoint === "") return;
      if (nodes.get(spec.name) === node) {
        died(node, status);
      } else {
        fail(
          new MachineProcessError({
            machine: spec.name,
            detail: `its OS process exited unexpectedly (code ${status.code}${
              status.signal ? `, ${status.signal}` : ""
            })`,
            time: runTime(),
          }),
        );
      }
    });
    node.endpoint = await ready.promise;
    return node;
  };

  const control: Host = await startHost(CONTROL_MACHINE, {
    resolve: (machine) => directory.get(machine),
    seed: options.seed,
    origin,
    reliable: options.reliable,
    trace: {
      record: (event) => {
        if (event.ev === "deliver") delivered = runTime();
        order.push(CONTROL_MACHINE, { ...event, t: fromStart(event.t) });
      },
    },
    auth: options.auth,
    exempt: options.controlExempt === false ? undefined : [CONTROL_MACHINE],
    // The lab's collectors are spawned after the machines boot: what reaches them first waits.
    holdForUnspawned: 10_000,
    onProcessError: (address, error) =>
      fail(
        new MachineProcessError({
          machine: CONTROL_MACHINE,
          process: address,
          detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          time: runTime(),
          stack: error instanceof Error ? error.stack : undefined,
        }),
      ),
  });
  directory.set(CONTROL_MACHINE, control.endpoint);
  /** Machines of the experiment hosted in this OS process, each with its idle watch. */
  const locals = new Map<string, { host: Host; idle: IdleWatch }>();
  const controlIdle: IdleWatch = { counters: "" };
  const watchLocals = () => {
    const now = runTime();
    watchIdle(controlIdle, busy(control.activity()), now);
    for (const local of locals.values()) watchIdle(local.idle, busy(local.host.activity()), now);
  };
  // Releases narration held for a silent machine and watches the local machines' activity;
  // cleared when everything stops.
  const poller = setInterval(() => {
    order.poll();
    watchLocals();
  }, 100);

  /** Replacements of crashed machines, started but not yet reachable. */
  const spares = new Set<Promise<NodeProcess>>();
  /** When each replacement was ready, in ms since the start of the run (0: before it). */
  const readyAt = new WeakMap<NodeProcess, number>();
  /** Replacements started with the others, for machines whose crash restarts them. */
  const waiting = new Map<string, Promise<NodeProcess>[]>();
  const takeSpare = (name: string) => waiting.get(name)?.shift();
  // The machines first: their replacements must be later incarnations.
  const first = machines.map(launch);
  const early = (options.spares ?? []).flatMap((name) => {
    const spec = machines.find((m) => m.name === name);
    return spec === undefined ? [] : [launch(spec)];
  });
  const started = await Promise.allSettled([...first, ...early]);
  for (const [i, result] of started.entries()) {
    if (result.status !== "fulfilled") continue;
    if (i < machines.length) {
      nodes.set(result.value.spec.name, result.value);
    } else {
      const spare = Promise.resolve(result.value);
      spares.add(spare);
      waiting.set(result.value.spec.name, [...waiting.get(result.value.spec.name) ?? [], spare]);
    }
  }
  const failed = started.find((r) => r.status === "rejected") as PromiseRejectedResult | undefined;
  const broadcast = () => {
    const entries = Object.fromEntries(directory);
    for (const node of nodes.values()) send(node, { type: "directory", entries });
  };
  const boot = (node: NodeProcess) => {
    // Idle before its boot says nothing: watched afresh from its next tick.
    node.idle = { counters: "" };
    for (const p of node.spec.processes) {
      send(node, {
        type: "spawn",
        name: p.name,
        program: p.program,
        args: p.args as Record<string, unknown>,
        capacity: p.capacity,
      });
    }
  };
  for (const node of nodes.values()) directory.set(node.spec.name, node.endpoint);

  const stopAll = async () => {
    stoppingAll = true;
    clearInterval(poller);
    // Spares that become ready in time join the others, to be stopped with them; any still
    // starting after that is killed below.
    const ready = await within(Promise.allSettled(spares), STOP_WAIT) ?? [];
    for (const spare of ready) {
      if (spare.status === "fulfilled") nodes.set(`${spare.value.source}`, spare.value);
    }
    for (const node of nodes.values()) {
      node.stopping = true;
      send(node, { type: "stop" });
      node.writer.close().catch(stdinClosed);
    }
    const exits = [...nodes.values()].map((n) => n.exited);
    await within(Promise.all(exits), STOP_WAIT);
    killAll();
    // Killed processes are gone at once; their output pipes close with them (bounded all the
    // same: a process a machine started could hold a pipe open).
    await within(Promise.all(exits), STOP_WAIT);
    order.flush();
    for (const local of locals.values()) await local.host.close();
    await control.close();
  };
  if (failed) {
    await stopAll();
    Deno.removeSignalListener("SIGINT", onSigint);
    Deno.removeSignalListener("SIGTERM", onSigint);
    throw failed.reason;
  }
  start = wallClock();
  for (const node of nodes.values()) order.open(node.source);
  broadcast();
  for (const node of nodes.values()) boot(node);
  // A node handles its control lines in order: once it answers a stats request, the processes
  // it was told to spawn exist, so nothing the caller sends next finds them missing.
  await within(
    Promise.all([...nodes.values()].map((node) => {
      node.statsWaiter = Promise.withResolvers<void>();
      send(node, { type: "stats" });
      return node.statsWaiter.promise;
    })),
    STOP_WAIT,
  );

  const timers: ReturnType<typeof setTimeout>[] = [];
  /** Runs `action` at `at` ms after the start of the run (at once if that has passed). */
  const at = (ms: number, action: () => void) => {
    timers.push(setTimeout(action, Math.max(0, ms - runTime())));
  };
  const crashNow = (name: string): NodeProcess | undefined => {
    const node = nodes.get(name);
    if (node === undefined || node.stopping) return undefined;
    note({ ev: "crash", at: name });
    node.stopping = true;
    node.child.kill("SIGKILL");
    return node;
  };
  /** Starts a replacement for machine `spec` now; it stays unreachable until swapped in. */
  const startSpare = (spec: MachineSpec): Promise<NodeProcess> => {
    const spare = launch(spec).then((node) => {
      readyAt.set(node, runTime());
      return node;
    });
    spares.add(spare);
    spare.catch((error) => fail(error as Error));
    return spare;
  };
  const restartAt = (old: NodeProcess, spare: Promise<NodeProcess>, restartMs: number) => {
    const name = old.spec.name;
    at(restartMs, async () => {
      let node: NodeProcess;
      try {
        node = await spare;
        await old.exited;
      } catch {
        return; // The spare failed to start: fail() has reported it and ends the run.
      }
      spares.delete(spare);
      if (interrupted !== undefined || failure !== undefined) {
        nodes.set(node.source, node); // Stopped with the others.
        return;
      }
      const late = runTime() - restartMs;
      const starting = (readyAt.get(node) ?? 0) - restartMs;
      order.open(node.source);
      nodes.set(name, node);
      directory.set(name, node.endpoint);
      note({
        ev: "restart",
        at: name,
        ...(late > 50
          ? {
            note: `${name} (${late.toFixed(0)} ms late: ${
              starting > 0
                ? "its new OS process took that long to start"
                : "the lab itself was busy"
            })`,
          }
          : {}),
      });
      broadcast();
      control.network.forget(name);
      for (const local of locals.values()) local.host.network.forget(name);
      boot(node);
    });
  };

  const quietFor = (): number => {
    watchLocals();
    const now = runTime();
    let quiet = Infinity;
    const idle = [controlIdle, ...[...locals.values()].map((l) => l.idle)];
    for (const node of nodes.values()) if (!node.stopping) idle.push(node.idle);
    for (const watch of idle) quiet = Math.min(quiet, idleFor(watch, now, STALE));
    return quiet;
  };

  return {
    transport: "tcp",
    trace,
    control: control.machine,
    spawnControl: (name: string, fn: ProcessFn) => control.machine.spawn(name, fn),
    async run(done, runOptions = {}) {
      waitOnLoss = runOptions.waitOnLoss === true;
      let settled = false;
      done.then(() => settled = true, () => settled = true);
      const since = runTime();
      const gone = Promise.withResolvers<void>();
      // After a machine died for good, the others may be done, idle, or stuck trying it.
      const lostWatch = setInterval(() => {
        if (lost.length === 0 || waitOnLoss) return;
        const from = Math.max(since, lost[lost.length - 1].time, delivered);
        if (quietFor() >= LOST_QUIET || runTime() - from >= LOST_STALL) gone.resolve();
      }, 100);
      try {
        await Promise.race([done, alarm.promise, gone.promise]);
        for (let i = 0; i < 8 && !settled; i++) await null;
        if (interrupted !== undefined) {
          order.flush();
          throw new InterruptedError(interrupted.time, partial(trace));
        }
        if (failure !== undefined) {
          thrown = true;
          throw failure;
        }
        if (!settled) {
          order.flush();
          throw new MachineLostError([...lost], runTime());
        }
        await done;
      } catch (error) {
        order.flush();
        await keepTrace(trace, options.traceFile, "wall");
        throw error;
      } finally {
        clearInterval(lostWatch);
        // A machine that has exited (stopped by its own Ctrl-C) sent its last counters before
        // it went; one that does not answer in time keeps the counters it reported last.
        await within(
          Promise.all([...nodes.values()].map((node) => {
            if (node.stopping || node.gone) return Promise.resolve();
            node.statsWaiter = Promise.withResolvers<void>();
            send(node, { type: "stats" });
            return node.statsWaiter.promise;
          })),
          STOP_WAIT,
        );
        order.flush();
      }
    },
    crash(name, crash = {}) {
      if (!nodes.has(name)) {
        throw new TypeError(`Cannot crash machine "${name}": not in this deployment`);
      }
      const restart = crash.restartAt;
      // The replacement was started with the others (options.spares), or starts now: either
      // way its start-up falls inside the crash window.
      const spare = restart === undefined
        ? undefined
        : takeSpare(name) ?? startSpare(nodes.get(name)!.spec);
      const crashAt = crash.at ?? runTime();
      at(crashAt, () => {
        const old = crashNow(name);
        // A crash that a busy lab fired late still keeps the machine down as long as asked.
        const down = restart === undefined ? 0 : restart - crashAt;
        if (old !== undefined && spare !== undefined) {
          restartAt(old, spare, Math.max(restart!, runTime() + down));
        }
      });
    },
    partition(a, b, partition = {}) {
      const label = `${a.join(",")} ${partition.oneWay ? "->" : "|"} ${b.join(",")}`;
      const apply = (on: boolean) => {
        const cut = (from: readonly string[], to: string[]) => {
          for (const name of from) {
            if (name === CONTROL_MACHINE) control.network.cut(to, on);
            locals.get(name)?.host.network.cut(to, on);
            const node = nodes.get(name);
            if (node !== undefined) send(node, { type: "cut", machines: to, on });
          }
        };
        cut(a, b);
        if (!partition.oneWay) cut(b, a);
        note({
          ev: on ? "partition" : "heal",
          at: "network",
          note: label,
        });
      };
      at(partition.at ?? runTime(), () => apply(true));
      if (partition.until !== undefined) at(partition.until, () => apply(false));
    },
    stats(): DeployStats {
      let frames = control.network.stats.frames, bytes = control.network.stats.bytes;
      let acks = control.network.stats.acks;
      for (const { host } of locals.values()) {
        frames += host.network.stats.frames;
        bytes += host.network.stats.bytes;
        acks += host.network.stats.acks;
      }
      for (const node of nodes.values()) {
        frames += node.stats.frames;
        bytes += node.stats.bytes;
        acks += node.stats.acks;
      }
      return { frames, bytes, acks };
    },
    onLost: (listener) => lostListeners.push(listener),
    now: runTime,
    quietFor,
    async host(name) {
      if (name === CONTROL_MACHINE || directory.has(name)) {
        throw new TypeError(`Cannot host machine "${name}": it is in this deployment already`);
      }
      const local = await startHost(name, {
        resolve: (machine) => directory.get(machine),
        seed: machineSeed(options.seed ?? 1, name),
        origin,
        reliable: options.reliable,
        drop: options.drop,
        duplicate: options.duplicate,
        latency: options.latency,
        trace: {
          record: (event) => {
            if (event.ev === "deliver") delivered = runTime();
            order.push(CONTROL_MACHINE, { ...event, t: fromStart(event.t) });
          },
        },
        auth: options.auth,
        exempt: options.controlExempt === false ? undefined : [CONTROL_MACHINE],
        onProcessError: (address, error) =>
          fail(
            new MachineProcessError({
              machine: name,
              process: address,
              detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
              time: runTime(),
              stack: error instanceof Error ? error.stack : undefined,
            }),
          ),
      });
      locals.set(name, { host: local, idle: { counters: "" } });
      directory.set(name, local.endpoint);
      broadcast();
      return local.machine;
    },
    reports() {
      return [...nodes.values()].flatMap((node) =>
        node.stopping || node.reports === undefined ? [] : [node.reports]
      );
    },
    async stop() {
      for (const timer of timers) clearTimeout(timer);
      await stopAll();
      Deno.removeSignalListener("SIGINT", onSigint);
      Deno.removeSignalListener("SIGTERM", onSigint);
      // A failure after the last run() still fails the run.
      if (failure !== undefined && !thrown) {
        thrown = true;
        throw failure;
      }
    },
  };
}

export type { TraceEvent };
