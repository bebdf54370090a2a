/**
 * Starts one machine of a real run as a `lab node` OS process and follows what it says: its
 * endpoint when ready, its trace events and ticks (into the time-order merge), its counters,
 * the failures of its processes, a Ctrl-C it heard, and its exit.
 * @module
 */
import type { TraceEvent } from "../../core/trace.ts";
import type { ControlLine, NodeLine } from "../node/command.ts";
import type { DeployOptions, MachineSpec } from "./deploy.ts";
import { watchIdle } from "./_idle_watch.ts";
import { MachineProcessError, MachineStartError } from "./run_errors.ts";
import { type NodeLink, type NodeProcess, readNodeLines } from "./_node_process.ts";
import type { TimeOrder } from "./_time_order.ts";

export type { ControlLine };

/** What a machine's OS process needs from the run that starts it. */
export interface LaunchContext {
  /** Wall-clock ms that the machines' trace times count from. */
  readonly origin: number;
  readonly options: DeployOptions;
  /** The merge of every machine's events. */
  readonly order: TimeOrder;
  /** Every machine process started and not exited yet. */
  readonly children: Set<NodeLink>;
  /** Starts machine `name`'s OS process (here, over SSH, or waits for it), incarnation `epoch`. */
  openLink(name: string, epoch: number): Promise<NodeLink>;
  /** Ms since the start of the run. */
  runTime(): number;
  /** A machine's trace time, counted from the start of the run. */
  fromStart(t: number): number;
  /** The number of OS processes started so far for machine `name` (then one more). */
  incarnation(name: string): number;
  /** A new key for an event stream of machine `name`. */
  source(name: string): string;
  /** A message was delivered on a machine. */
  delivered(): void;
  /** The run fails with `error`. */
  fail(error: Error): void;
  /** Ctrl-C reached a machine: the run ends. */
  interrupt(): void;
  /** Machine `node`'s OS process exited, after it was ready, without the lab stopping it. */
  exitedOnItsOwn(node: NodeProcess, status: Deno.CommandStatus): void;
  /** The lab is stopping every machine: an exit from now on is expected. */
  stoppingAll(): boolean;
}

/** Handles one line from machine `node`. */
function handleLine(
  node: NodeProcess,
  line: NodeLine,
  ctx: LaunchContext,
  ready: PromiseWithResolvers<string>,
): void {
  switch (line.type) {
    case "ready":
      ready.resolve(line.endpoint);
      break;
    case "event":
      if (line.event.ev === "deliver") ctx.delivered();
      ctx.order.push(node.source, { ...line.event, t: ctx.fromStart(line.event.t) } as TraceEvent);
      break;
    case "tick":
      ctx.order.push(node.source, ctx.fromStart(line.t));
      if (line.busy !== undefined) {
        watchIdle(node.idle, line as Required<typeof line>, ctx.runTime());
      }
      break;
    case "error":
      if (node.stopping) break; // A consequence of stopping it, not a failure of the run.
      ctx.fail(
        new MachineProcessError({
          machine: node.spec.name,
          process: line.process,
          detail: line.message,
          time: ctx.runTime(),
          stack: line.stack,
        }),
      );
      break;
    case "stats":
      node.stats = { frames: line.frames, bytes: line.bytes, acks: line.acks };
      if (line.reports !== undefined) node.reports = line.reports;
      node.statsWaiter?.resolve();
      break;
    case "print":
      // What the code of a machine started by hand printed, on its host.
      for (const text of line.text.split("\n")) console.error(`[${node.spec.name}] ${text}`);
      break;
    case "unstartable":
      node.unstartable = line.message;
      break;
    case "interrupted":
      // Ctrl-C reached the machine (with the lab, or alone): it stops, so does the run.
      node.stopping = true;
      ctx.interrupt();
      break;
  }
}

/** Starts machine `spec` as an OS process; resolves once it is ready (listening). */
export async function launchNode(spec: MachineSpec, ctx: LaunchContext): Promise<NodeProcess> {
  // Every process of a machine a higher incarnation than the one before it, even a
  // replacement started early: peers take the old one's frames for stale, not its own.
  const epoch = Math.floor(ctx.origin) + ctx.incarnation(spec.name);
  const link = await ctx.openLink(spec.name, epoch);
  ctx.children.add(link);
  const ready = Promise.withResolvers<string>();
  const node: NodeProcess = {
    spec,
    source: ctx.source(spec.name),
    link,
    writer: link.writer,
    endpoint: "",
    stats: { frames: 0, bytes: 0, acks: 0 },
    idle: { counters: "" },
    exited: Promise.resolve(),
    stopping: false,
    gone: false,
  };
  const reading = readNodeLines<NodeLine>(
    link.readable,
    (line) => handleLine(node, line, ctx, ready),
    // Not a control line: something the machine's code printed. Show it as it is.
    (text) => console.error(`[${spec.name}] ${text}`),
  );
  node.exited = Promise.all([reading, link.status]).then(([, status]) => {
    node.gone = true;
    ctx.children.delete(link);
    ctx.order.close(node.source);
    ready.reject(
      node.unstartable === undefined
        ? new Error(`Cannot start machine "${spec.name}": its process exited before it was ready`)
        : new MachineStartError(spec.name, node.unstartable),
    );
    node.statsWaiter?.resolve();
    if (node.stopping || ctx.stoppingAll() || node.endpoint === "") return;
    ctx.exitedOnItsOwn(node, status);
  });
  node.endpoint = await ready.promise;
  return node;
}
