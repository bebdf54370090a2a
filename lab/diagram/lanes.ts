/**
 * Lanes: which lifeline each process is drawn on. Processes are grouped by machine (machines in
 * order of appearance, the lab's own machine `ctl.lab` last); aggregation collapses numbered
 * per-request processes (`req-17@web.lab`, `call-3@logic.lab`) into one lane per family within
 * their tier, or every process of a machine into one lane.
 *
 * The function is self-contained (no imports at run time) so the HTML viewer inlines it.
 * @module
 */

/** How processes map to lanes: one each, numbered families collapsed, or one per machine. */
export type Aggregation = "process" | "family" | "machine" | "auto";

/** A lifeline: one process, a family of processes, or a machine. */
export interface Lane {
  /** Name drawn above the lane (`kv@m1.lab`, `req-*@web.lab ×40`, `web.lab`). */
  readonly label: string;
  /** Machine the lane belongs to. */
  readonly machine: string;
  /** Process indices drawn on this lane. */
  readonly members: number[];
}

/** Lanes and the lane of each process (-1: hidden). */
export interface LaneAssignment {
  /** Lanes, grouped by machine. */
  readonly lanes: Lane[];
  /** Lane index of each process index; -1 when its machine is hidden. */
  readonly laneOf: number[];
}

/** Options of {@link assignLanes}. */
export interface LaneOptions {
  /** How processes map to lanes; `auto` collapses families past 30 processes. @default "auto" */
  readonly aggregate?: Aggregation;
  /** Machines not drawn. @default ["ctl.lab"] */
  readonly hide?: readonly string[];
}

/**
 * Assigns processes (`{ address, machine }` in order of appearance) to lanes.
 *
 * @example Per-request processes collapse into their tier
 * ```ts
 * import assert from "node:assert/strict";
 * import { assignLanes } from "./lanes.ts";
 * const procs = ["http@web.lab", "req-1@web.lab", "req-2@web.lab", "req-3@web.lab", "u@ctl.lab"]
 *   .map((address) => ({ address, machine: address.split("@")[1] }));
 * const { lanes, laneOf } = assignLanes(procs, { aggregate: "family" });
 * assert.deepEqual(lanes.map((l) => l.label), ["http@web.lab", "req-*@web.lab ×3"]);
 * assert.deepEqual(laneOf, [0, 1, 1, 1, -1]);
 * ```
 */
export function assignLanes(
  processes: readonly { readonly address: string; readonly machine: string }[],
  options: LaneOptions = {},
): LaneAssignment {
  const hide = options.hide ?? ["ctl.lab"];
  let mode = options.aggregate ?? "auto";
  if (mode === "auto") mode = processes.length > 30 ? "family" : "process";
  const familyOf = (address: string): string => {
    const m = /^(.*?)-\d+(@.*)$/.exec(address);
    return m ? `${m[1]}-*${m[2]}` : address;
  };
  const familySize = new Map<string, number>();
  if (mode === "family") {
    for (const p of processes) {
      const f = familyOf(p.address);
      familySize.set(f, (familySize.get(f) ?? 0) + 1);
    }
  }
  const machines: string[] = [];
  const keysOf = new Map<string, string[]>();
  const keyOfProc: string[] = [];
  for (const p of processes) {
    if (!keysOf.has(p.machine)) {
      keysOf.set(p.machine, []);
      machines.push(p.machine);
    }
    let key = p.address;
    if (mode === "machine") key = p.machine;
    else if (mode === "family" && (familySize.get(familyOf(p.address)) ?? 0) >= 3) {
      key = familyOf(p.address);
    }
    const keys = keysOf.get(p.machine)!;
    if (!keys.includes(key)) keys.push(key);
    keyOfProc.push(key);
  }
  machines.sort((a, b) => Number(a === "ctl.lab") - Number(b === "ctl.lab"));
  const lanes: Lane[] = [];
  const laneOfKey = new Map<string, number>();
  for (const machine of machines) {
    if (hide.includes(machine)) continue;
    for (const key of keysOf.get(machine)!) {
      laneOfKey.set(key, lanes.length);
      lanes.push({ label: key, machine, members: [] });
    }
  }
  const laneOf = processes.map((_, i) => laneOfKey.get(keyOfProc[i]) ?? -1);
  laneOf.forEach((lane, i) => {
    if (lane >= 0) lanes[lane].members.push(i);
  });
  return {
    lanes: lanes.map((
      l,
    ) => (l.members.length > 1 && l.label.includes("*")
      ? { ...l, label: `${l.label} ×${l.members.length}` }
      : l)
    ),
    laneOf,
  };
}
