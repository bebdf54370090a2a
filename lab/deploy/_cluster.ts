/**
 * The state of a real deployment and what happens to it: its machines' OS processes (here, on
 * other hosts, or replacements of crashed ones), the lab's own hosts, the merge of their
 * events, failures, Ctrl-C, machines that die on their own, crashes and restarts, and the
 * orderly stop. `deployTcp` (cluster.ts) opens one and hands out its `TcpDeployment`.
 * @module
 */
import type { Host } from "../../core/network/host.ts";
import { wallClock } from "../../core/real_runtime.ts";
import { Trace, type TraceEvent } from "../../core/trace.ts";
import { busy, idleFor, type IdleWatch, watchIdle } from "./_idle_watch.ts";
import { howDied, InterruptedError, type MachineLoss, MachineProcessError } from "./run_errors.ts";
import { TimeOrder } from "./_time_order.ts";
import { CONTROL_MACHINE, type DeployOptions, type MachineSpec } from "./deploy.ts";
import { type NodeLink, type NodeProcess, sendLine, stdinClosed } from "./_node_process.ts";
import { openLink } from "./_node_links.ts";
import { placeMachines, type Placement, type Placements, waitingMessage } from "./_placement.ts";
import { NodeListener } from "./_node_listener.ts";
import { isLocalHost } from "./hosts_file.ts";
import { type LaunchContext, launchNode } from "./_launch_node.ts";
import { type LabHostContext, startControlHost } from "./_lab_hosts.ts";
import { within } from "./_within.ts";
import { askStats, bootNode, broadcastDirectory } from "./_cluster_ops.ts";
import { restartAt, startSpare, takeSpare } from "./_cluster_faults.ts";

/** A machine not heard from for this many ms (it ticks every 50) is not known to be idle. */
const STALE = 250;
/** Longest a narrated event waits for a silent machine before it is printed anyway, in ms. */
const ORDER_PATIENCE = 2000;
/**
 * Longest the lab waits on its machines at the end of a run, in ms: for their counters, for a
 * machine to stop when told to (then it is killed), for a killed one to be gone. A machine that
 * hangs must never keep the lab (and Ctrl-C) from ending.
 */
export const STOP_WAIT = 3000;
/**
 * After a machine died for good (its OS process exited, not stopped by the lab, and nothing
 * restarts it), the run goes on while the others make progress; it ends once no message has
 * been delivered anywhere for this many ms (they are all waiting on the dead one).
 */
export const LOST_STALL = 3000;
/** After a machine died for good, the run ends once every other has been idle this long (ms). */
export const LOST_QUIET = 1000;
/** Longest the lab waits for the machines started by hand on other hosts, in ms. */
const HOSTS_WAIT = 60_000;

/** A machine of the experiment hosted in the lab's own OS process. */
export interface LabHost {
  readonly host: Host;
  readonly idle: IdleWatch;
}

/**
 * A real deployment's state. Fields are the deployment's own: only `deployTcp` and this file
 * use them.
 *
 * @example Nothing runs before it is opened
 * ```ts
 * import assert from "node:assert/strict";
 * import { Cluster } from "./_cluster.ts";
 * const cluster = new Cluster([], {});
 * assert.equal(cluster.nodes.size, 0);
 * assert.equal(cluster.trace.events.length, 0);
 * ```
 */
export class Cluster {
  readonly machines: readonly MachineSpec[];
  readonly options: DeployOptions;
  readonly placements?: Placements;
  /** Machines started by hand on other hosts, the lab waiting for them. */
  readonly byHand: readonly (readonly [string, Placement])[];
  /** Wall-clock ms when the lab started; the machines' trace times count from here. */
  readonly origin: number = wallClock();
  /** The folder of each machine's disk file (ctx.disk): a replacement opens its predecessor's. */
  #disks: string | undefined;
  /** Wall-clock ms at the start of the run (when the machines boot); trace times count from here. */
  start: number = this.origin;
  readonly trace: Trace = new Trace();
  readonly order: TimeOrder;
  readonly directory: Map<string, string> = new Map();
  readonly nodes: Map<string, NodeProcess> = new Map();
  /** Every machine process started and not exited yet, spares still starting included. */
  readonly children: Set<NodeLink> = new Set();
  /** Set once the lab stops every machine: an exit from then on is expected. */
  stoppingAll = false;
  /** Resolves when the run must end early: a failure or Ctrl-C. */
  readonly alarm: PromiseWithResolvers<void> = Promise.withResolvers();
  failure?: Error;
  /** Whether `failure` has been thrown to the caller. */
  thrown = false;
  interrupted?: InterruptedError;
  /** Machines that died during the run and were not restarted. */
  readonly lost: MachineLoss[] = [];
  /** Whether the current run bounds its own wait after a loss (`run`'s `waitOnLoss`). */
  waitOnLoss = false;
  readonly lostListeners: ((loss: MachineLoss) => void)[] = [];
  /** When a message was last delivered on a machine of the run (ms since its start). */
  delivered = 0;
  /** The control machine, once opened. */
  control!: Host;
  /** Machines of the experiment hosted in this OS process, each with its idle watch. */
  readonly locals: Map<string, LabHost> = new Map();
  readonly controlIdle: IdleWatch = { counters: "" };
  /** Replacements of crashed machines, started but not yet reachable. */
  readonly spares: Set<Promise<NodeProcess>> = new Set();
  /** When each replacement was ready, in ms since the start of the run (0: before it). */
  readonly readyAt: WeakMap<NodeProcess, number> = new WeakMap();
  /** Replacements started with the others, for machines whose crash restarts them. */
  readonly waiting: Map<string, Promise<NodeProcess>[]> = new Map();
  /** Timers of scheduled crashes, restarts and cuts. */
  readonly timers: ReturnType<typeof setTimeout>[] = [];
  #listener?: NodeListener;
  #poller?: ReturnType<typeof setInterval>;
  #launched = 0;
  #sigints = 0;
  /** OS processes started so far for each machine. */
  readonly #launches = new Map<string, number>();

  /** Places `machines` (by `options.hosts`); starts nothing yet. */
  constructor(machines: readonly MachineSpec[], options: DeployOptions) {
    this.machines = machines;
    this.options = options;
    this.placements = options.hosts === undefined ? undefined : placeMachines(
      machines.map((m) => m.name),
      options.hosts,
      // The command checked every line against all its machines (checkFaultTargets); a run of
      // it may have fewer (the proxy's run without the proxy).
      { ssh: options.ssh, spares: options.spares, isLocal: isLocalHost, ignoreUnknown: true },
    );
    this.byHand = [...this.placements?.machines ?? []].filter(([, p]) => p.kind === "user");
    if (options.onEvent) this.trace.listen(options.onEvent);
    this.order = new TimeOrder((event) => this.trace.record(event), {
      now: this.runTime,
      patience: ORDER_PATIENCE,
    });
  }

  /** Ms since the start of the run. */
  readonly runTime = (): number => wallClock() - this.start;

  /** A machine's trace time (ms since `origin`), counted from the start of the run. */
  fromStart(t: number): number {
    return Math.round((t - (this.start - this.origin)) * 1000) / 1000;
  }

  /** Records an event of the lab itself (crash, restart, partition), timed now. */
  note(event: Omit<TraceEvent, "t">): void {
    const t = this.fromStart(wallClock() - this.origin);
    this.order.push(CONTROL_MACHINE, { t, ...event } as TraceEvent);
  }

  /** The run fails with `error` (the first failure or Ctrl-C wins). */
  readonly fail = (error: Error): void => {
    if (this.failure !== undefined || this.interrupted !== undefined) return;
    this.failure = error;
    this.alarm.resolve();
  };

  /** Ctrl-C, heard by the lab or first by one of its machines: the run ends, all machines stop. */
  readonly interrupt = (): void => {
    if (this.failure !== undefined || this.interrupted !== undefined) return;
    this.interrupted = new InterruptedError(this.runTime());
    console.error("\narchlab: interrupted; stopping every machine (Ctrl-C again to force)");
    this.alarm.resolve();
  };

  /** Ctrl-C (or SIGTERM) the lab itself heard; a second one kills every machine at once. */
  readonly onSigint = (): void => {
    if (++this.#sigints > 1) {
      console.error("archlab: interrupted again; killing every machine now");
      this.killAll();
      Deno.exit(130);
    }
    this.interrupt();
  };

  /** Whether machine `name` listens on a port its hosts file line gives (not a free one). */
  fixedPort(name: string): boolean {
    return (this.placements?.machines.get(name)?.listen.port ?? 0) !== 0;
  }

  /**
   * Machine `node` died (`kill -9`, out of memory) without the lab stopping it: says so, and
   * restarts it when the run restarts it after crashes; otherwise the run goes on without it
   * and ends once the others stop making progress (see `run`).
   */
  died(node: NodeProcess, status: Deno.CommandStatus): void {
    const name = node.spec.name;
    const loss: MachineLoss = {
      machine: name,
      time: this.runTime(),
      code: status.code,
      ...(status.signal ? { signal: status.signal } : {}),
    };
    node.stopping = true;
    this.note({ ev: "crash", at: name, note: `${name} (${howDied(loss)})` });
    const said = `archlab: machine "${name}" died at ${loss.time.toFixed(0)} ms (${howDied(loss)})`;
    if (this.interrupted !== undefined || this.failure !== undefined) return;
    if (this.options.spares?.includes(name)) {
      console.error(`${said}; restarting it, as this run restarts it after a crash`);
      restartAt(this, node, takeSpare(this, name) ?? startSpare(this, node.spec), this.runTime());
      return;
    }
    this.lost.push(loss);
    for (const listener of this.lostListeners) listener(loss);
    console.error(
      `${said}; not restarted (a --crash with a restart time for it would restart it): ${
        this.waitOnLoss
          ? "the run stops waiting for it and ends with what the others did"
          : `the run goes on while the others make progress, and ends ${
            LOST_STALL / 1000
          } s after they stop`
      }`,
    );
  }

  /** Kills every machine process, spares still starting included. */
  killAll(): void {
    for (const node of this.nodes.values()) node.stopping = true;
    for (const link of this.children) link.kill();
  }

  /** What starting a machine's OS process needs from this run. */
  #launchContext(): LaunchContext {
    return {
      origin: this.origin,
      options: this.options,
      order: this.order,
      children: this.children,
      openLink: (name, epoch) =>
        openLink(name, epoch, {
          origin: this.origin,
          options: this.options,
          placement: this.placements?.machines.get(name),
          listener: this.#listener,
          waitMs: this.options.hostsWait ?? HOSTS_WAIT,
          disk: this.#disks === undefined ? undefined : `${this.#disks}/${name}.sqlite`,
          abandon: this.alarm.promise,
        }),
      runTime: this.runTime,
      fromStart: (t) => this.fromStart(t),
      incarnation: (name) => {
        const n = this.#launches.get(name) ?? 0;
        this.#launches.set(name, n + 1);
        return n;
      },
      source: (name) => `${name}#${++this.#launched}`,
      delivered: () => this.delivered = this.runTime(),
      fail: this.fail,
      interrupt: this.interrupt,
      exitedOnItsOwn: (node, status) => {
        if (this.nodes.get(node.spec.name) === node) {
          this.died(node, status);
          return;
        }
        this.fail(
          new MachineProcessError({
            machine: node.spec.name,
            detail: `its OS process exited unexpectedly (code ${status.code}${
              status.signal ? `, ${status.signal}` : ""
            })`,
            time: this.runTime(),
          }),
        );
      },
      stoppingAll: () => this.stoppingAll,
    };
  }

  /** Starts machine `spec`'s OS process; resolves once it is ready. */
  launch(spec: MachineSpec): Promise<NodeProcess> {
    return launchNode(spec, this.#launchContext());
  }

  /** What a machine hosted in the lab's own OS process needs; `record` takes its events. */
  labHostContext(record: LabHostContext["record"]): LabHostContext {
    return {
      origin: this.origin,
      options: this.options,
      resolve: (machine) => this.directory.get(machine),
      record: (event) => {
        if (event.ev === "deliver") this.delivered = this.runTime();
        record(event);
      },
      runTime: this.runTime,
      fail: this.fail,
      listen: this.placements?.lab,
    };
  }

  /** Records an event of a machine in the lab's own OS process. */
  readonly recordLocal = (event: TraceEvent): void =>
    this.order.push(CONTROL_MACHINE, { ...event, t: this.fromStart(event.t) });

  /** Watches the idleness of the machines in the lab's own OS process. */
  watchLocals(): void {
    const now = this.runTime();
    watchIdle(this.controlIdle, busy(this.control.activity()), now);
    for (const local of this.locals.values()) {
      watchIdle(local.idle, busy(local.host.activity()), now);
    }
  }

  /** Sends every machine the whole directory. */
  broadcast(): void {
    broadcastDirectory(this.nodes.values(), this.directory);
  }

  /**
   * Starts everything: the control machine, the machines (here, over SSH, or waiting for them)
   * and the replacements started ahead; then boots their processes. Stops everything and
   * throws when a machine cannot start.
   */
  async open(): Promise<void> {
    this.#disks = this.options.disks ?? await Deno.makeTempDir({ prefix: "archlab-disks-" });
    if (this.byHand.length > 0) {
      this.#listener = NodeListener.open(this.placements!.control!, this.options.auth?.key);
    }
    // Listening before the first machine starts: a Ctrl-C while they boot (their first frames
    // are narrated already) ends the run with its partial summary instead of killing the lab.
    Deno.addSignalListener("SIGINT", this.onSigint);
    // `kill` and service managers stop the lab with SIGTERM: the same orderly end as Ctrl-C.
    Deno.addSignalListener("SIGTERM", this.onSigint);
    try {
      this.control = await startControlHost(this.labHostContext(this.recordLocal));
    } catch (error) {
      await this.#listener?.close();
      this.#unlisten();
      await this.#removeDisks();
      throw error;
    }
    this.directory.set(CONTROL_MACHINE, this.control.endpoint);
    // Releases narration held for a silent machine and watches the local machines' activity;
    // cleared when everything stops.
    this.#poller = setInterval(() => {
      this.order.poll();
      this.watchLocals();
    }, 100);
    const failed = await this.#startMachines();
    if (failed) {
      await this.stopAll();
      this.#unlisten();
      // Ctrl-C while the machines start (or the lab waits for them) ends the run as Ctrl-C.
      throw this.interrupted ?? failed.reason;
    }
    if (this.placements !== undefined) this.#sayWhere();
    this.start = wallClock();
    for (const node of this.nodes.values()) this.order.open(node.source);
    this.broadcast();
    for (const node of this.nodes.values()) bootNode(node);
    // A node handles its control lines in order: once it answers a stats request, the
    // processes it was told to spawn exist, so nothing the caller sends next finds them missing.
    await askStats(this.nodes.values(), STOP_WAIT);
  }

  /** Starts the machines, then the replacements started ahead; the first failure, if any. */
  async #startMachines(): Promise<PromiseRejectedResult | undefined> {
    if (this.#listener !== undefined) {
      console.error(
        waitingMessage(this.options.hosts!.path, this.byHand, {
          control: this.#listener.endpoint,
          waitMs: this.options.hostsWait ?? HOSTS_WAIT,
          auth: this.options.auth !== undefined,
        }),
      );
    }
    // The machines first: their replacements must be later incarnations.
    const first = this.machines.map((spec) => this.launch(spec));
    const early = (this.options.spares ?? []).flatMap((name) => {
      const spec = this.machines.find((m) => m.name === name);
      return spec === undefined || this.fixedPort(name) ? [] : [this.launch(spec)];
    });
    const started = await Promise.allSettled([...first, ...early]);
    // Every machine started by hand has joined (or the wait is over): nobody else may.
    await this.#listener?.close();
    for (const [i, result] of started.entries()) {
      if (result.status !== "fulfilled") continue;
      const name = result.value.spec.name;
      if (i < this.machines.length) {
        this.nodes.set(name, result.value);
        this.directory.set(name, result.value.endpoint);
      } else {
        const spare = Promise.resolve(result.value);
        this.spares.add(spare);
        this.waiting.set(name, [...this.waiting.get(name) ?? [], spare]);
      }
    }
    return started.find((r) => r.status === "rejected") as PromiseRejectedResult | undefined;
  }

  /** Says where everything ended up (a hosts file may have asked for free ports). */
  #sayWhere(): void {
    const at = [
      [CONTROL_MACHINE, this.control.endpoint],
      ...[...this.nodes.values()].map((n) => [n.spec.name, n.endpoint]),
    ];
    console.error(`archlab: machines at ${at.map(([name, e]) => `${name}=${e}`).join(", ")}`);
  }

  #unlisten(): void {
    Deno.removeSignalListener("SIGINT", this.onSigint);
    Deno.removeSignalListener("SIGTERM", this.onSigint);
  }

  /** Stops every machine: asked first, killed after {@link STOP_WAIT}; closes the lab's hosts. */
  async stopAll(): Promise<void> {
    this.stoppingAll = true;
    clearInterval(this.#poller);
    // Spares that become ready in time join the others, to be stopped with them; any still
    // starting after that is killed below.
    const ready = await within(Promise.allSettled(this.spares), STOP_WAIT) ?? [];
    for (const spare of ready) {
      if (spare.status === "fulfilled") this.nodes.set(`${spare.value.source}`, spare.value);
    }
    for (const node of this.nodes.values()) {
      node.stopping = true;
      sendLine(node, { type: "stop" });
      node.writer.close().catch(stdinClosed);
    }
    const exits = [...this.nodes.values()].map((n) => n.exited);
    await within(Promise.all(exits), STOP_WAIT);
    this.killAll();
    // Killed processes are gone at once; their output pipes close with them (bounded all the
    // same: a process a machine started could hold a pipe open).
    await within(Promise.all(exits), STOP_WAIT);
    this.order.flush();
    for (const local of this.locals.values()) await local.host.close();
    await this.control?.close();
    await this.#removeDisks();
  }

  /** Removes the machines' disk files: they last as long as the run. */
  async #removeDisks(): Promise<void> {
    const disks = this.#disks;
    this.#disks = undefined;
    // A folder the caller gave is the caller's to read and remove.
    if (disks !== undefined && this.options.disks === undefined) {
      await Deno.remove(disks, { recursive: true });
    }
  }

  /** Stops everything; a failure after the last `run` still fails the run. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    await this.stopAll();
    this.#unlisten();
    if (this.failure !== undefined && !this.thrown) {
      this.thrown = true;
      throw this.failure;
    }
  }

  /** Runs `action` at `ms` after the start of the run (at once if that has passed). */
  at(ms: number, action: () => void): void {
    this.timers.push(setTimeout(action, Math.max(0, ms - this.runTime())));
  }

  /** Ms for which every machine has been idle; 0 while any is busy. */
  readonly quietFor = (): number => {
    this.watchLocals();
    const now = this.runTime();
    let quiet = Infinity;
    const idle = [this.controlIdle, ...[...this.locals.values()].map((l) => l.idle)];
    for (const node of this.nodes.values()) if (!node.stopping) idle.push(node.idle);
    for (const watch of idle) quiet = Math.min(quiet, idleFor(watch, now, STALE));
    return quiet;
  };
}
