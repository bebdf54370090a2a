/**
 * Real deployments: every machine is its own OS process (`lab node`) on 127.0.0.1, wired through
 * a directory the lab hands out; the lab itself hosts machine `ctl.lab`. Trace events of every
 * node stream back and are merged into one trace. Ctrl-C or the end of the run stops them all.
 * @module
 */
import { type Host, startHost } from "../core/host.ts";
import type { ProcessFn } from "../core/process.ts";
import { wallClock } from "../core/real_runtime.ts";
import { Trace, type TraceEvent } from "../core/trace.ts";
import {
  CONTROL_MACHINE,
  type Deployment,
  type DeployOptions,
  type DeployStats,
  type MachineSpec,
} from "./deploy.ts";
import type { ControlLine, NodeLine } from "./node.ts";

const NODE_SCRIPT = new URL("./node.ts", import.meta.url);
const PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-env",
  "--allow-sys",
];
const encoder = new TextEncoder();

interface NodeProcess {
  readonly spec: MachineSpec;
  child: Deno.ChildProcess;
  writer: WritableStreamDefaultWriter<Uint8Array>;
  endpoint: string;
  stats: { frames: number; bytes: number; acks: number };
  statsWaiter?: PromiseWithResolvers<void>;
  exited: Promise<void>;
  stopping: boolean;
}

function send(node: NodeProcess, line: ControlLine): void {
  node.writer.write(encoder.encode(JSON.stringify(line) + "\n")).catch(() => {});
}

function flagArgs(options: DeployOptions): string[] {
  const args = ["--seed", String(options.seed ?? 1)];
  if (options.reliable === false) args.push("--unreliable");
  if (options.drop) args.push("--drop", String(options.drop));
  if (options.duplicate) args.push("--dup", String(options.duplicate));
  if (options.auth?.encrypt) args.push("--encrypt");
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

/** Starts `machines` as OS processes and the control machine in this one. */
export async function deployTcp(
  machines: readonly MachineSpec[],
  options: DeployOptions = {},
): Promise<Deployment> {
  const origin = wallClock();
  const trace = new Trace();
  if (options.onEvent) trace.listen(options.onEvent);
  const directory = new Map<string, string>();
  const nodes = new Map<string, NodeProcess>();
  const errors: string[] = [];

  const launch = async (spec: MachineSpec): Promise<NodeProcess> => {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...PERMISSIONS,
        NODE_SCRIPT.pathname,
        "--machine",
        spec.name,
        "--origin",
        String(origin),
        ...flagArgs(options),
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
      // The key travels in the environment, not on the command line other users can read.
      env: options.auth ? { ARCHLAB_AUTH_KEY: options.auth.key } : undefined,
    }).spawn();
    const ready = Promise.withResolvers<string>();
    const node: NodeProcess = {
      spec,
      child,
      writer: child.stdin.getWriter(),
      endpoint: "",
      stats: { frames: 0, bytes: 0, acks: 0 },
      exited: Promise.resolve(),
      stopping: false,
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
            console.error(`[${spec.name}] ${text}`);
            continue;
          }
          if (line.type === "ready") ready.resolve(line.endpoint);
          else if (line.type === "event") trace.record(line.event);
          else if (line.type === "error") {
            errors.push(line.message);
            console.error(`[${spec.name}] ${line.message}`);
          } else if (line.type === "stats") {
            node.stats = { frames: line.frames, bytes: line.bytes, acks: line.acks };
            node.statsWaiter?.resolve();
          }
        }
      }
    })();
    node.exited = Promise.all([reading, child.status]).then(() => {
      ready.reject(
        new Error(`Cannot start machine "${spec.name}": its process exited before it was ready`),
      );
      node.statsWaiter?.resolve();
    });
    node.endpoint = await ready.promise;
    return node;
  };

  const control: Host = await startHost(CONTROL_MACHINE, {
    resolve: (machine) => directory.get(machine),
    seed: options.seed,
    origin,
    reliable: options.reliable,
    trace,
    auth: options.auth,
  });
  directory.set(CONTROL_MACHINE, control.endpoint);

  const started = await Promise.allSettled(machines.map(launch));
  for (const result of started) {
    if (result.status === "fulfilled") nodes.set(result.value.spec.name, result.value);
  }
  const failed = started.find((r) => r.status === "rejected") as PromiseRejectedResult | undefined;
  const broadcast = () => {
    const entries = Object.fromEntries(directory);
    for (const node of nodes.values()) send(node, { type: "directory", entries });
  };
  const boot = (node: NodeProcess) => {
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
    for (const node of nodes.values()) {
      node.stopping = true;
      send(node, { type: "stop" });
      node.writer.close().catch(() => {});
    }
    const exits = [...nodes.values()].map((n) => n.exited);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => timer = setTimeout(resolve, 3000));
    await Promise.race([Promise.all(exits), timeout]);
    clearTimeout(timer);
    for (const node of nodes.values()) {
      try {
        node.child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }
    await Promise.all(exits);
    await control.close();
  };
  if (failed) {
    await stopAll();
    throw failed.reason;
  }
  broadcast();
  for (const node of nodes.values()) boot(node);

  const onSigint = () => {
    console.error("\narchlab: interrupted; stopping every machine");
    stopAll().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSigint);

  const crashNow = (name: string) => {
    const node = nodes.get(name);
    if (node === undefined) {
      throw new TypeError(`Cannot crash machine "${name}": not in this deployment`);
    }
    trace.record({ t: wallClock() - origin, ev: "crash", at: name });
    node.stopping = true;
    node.child.kill("SIGKILL");
  };
  const restartNow = async (name: string) => {
    const old = nodes.get(name);
    if (old === undefined) return;
    await old.exited;
    const node = await launch(old.spec);
    nodes.set(name, node);
    directory.set(name, node.endpoint);
    trace.record({ t: wallClock() - origin, ev: "restart", at: name });
    broadcast();
    control.network.forget(name);
    boot(node);
  };
  const timers: ReturnType<typeof setTimeout>[] = [];

  return {
    transport: "tcp",
    trace,
    control: control.machine,
    spawnControl: (name: string, fn: ProcessFn) => control.machine.spawn(name, fn),
    async run(done) {
      try {
        await done;
      } finally {
        await Promise.all([...nodes.values()].map((node) => {
          if (node.stopping) return Promise.resolve();
          node.statsWaiter = Promise.withResolvers<void>();
          send(node, { type: "stats" });
          return node.statsWaiter.promise;
        }));
      }
    },
    crash(name, crash = {}) {
      const at = crash.at ?? 0;
      timers.push(setTimeout(() => crashNow(name), at));
      if (crash.restartAt !== undefined) {
        timers.push(setTimeout(() => void restartNow(name), crash.restartAt));
      }
    },
    partition(a, b, partition = {}) {
      const label = `${a.join(",")} ${partition.oneWay ? "->" : "|"} ${b.join(",")}`;
      const apply = (on: boolean) => {
        const cut = (from: readonly string[], to: string[]) => {
          for (const name of from) {
            if (name === CONTROL_MACHINE) control.network.cut(to, on);
            const node = nodes.get(name);
            if (node !== undefined) send(node, { type: "cut", machines: to, on });
          }
        };
        cut(a, b);
        if (!partition.oneWay) cut(b, a);
        trace.record({
          t: wallClock() - origin,
          ev: on ? "partition" : "heal",
          at: "network",
          note: label,
        });
      };
      timers.push(setTimeout(() => apply(true), partition.at ?? 0));
      if (partition.until !== undefined) {
        timers.push(setTimeout(() => apply(false), partition.until));
      }
    },
    stats(): DeployStats {
      let frames = control.network.stats.frames, bytes = control.network.stats.bytes;
      let acks = control.network.stats.acks;
      for (const node of nodes.values()) {
        frames += node.stats.frames;
        bytes += node.stats.bytes;
        acks += node.stats.acks;
      }
      return { frames, bytes, acks };
    },
    async stop() {
      for (const timer of timers) clearTimeout(timer);
      Deno.removeSignalListener("SIGINT", onSigint);
      await stopAll();
    },
  };
}

export type { TraceEvent };
