/**
 * Where each machine of a real run goes, from a hosts file: started here by the lab (its host
 * is this one, or it is not in the file), started by the lab over SSH (`--ssh`), or started by
 * hand on its host (`lab node --hosts FILE`), the lab waiting for it.
 * @module
 */
import { CONTROL_MACHINE } from "./deploy.ts";
import {
  endpointText,
  type HostEntry,
  type HostsFile,
  HostsFileError,
  waitText,
} from "./hosts_file.ts";

/** Where one machine's OS process runs, and who starts it. */
export type Placement =
  | { readonly kind: "here"; readonly listen: Listen }
  | { readonly kind: "ssh"; readonly host: string; readonly listen: Listen }
  | {
    readonly kind: "user";
    readonly host: string;
    readonly listen: Listen;
    readonly line: number;
  };

/** An address to listen on. */
export interface Listen {
  readonly hostname: string;
  readonly port: number;
}

/** Every machine's placement, and where the lab itself listens. */
export interface Placements {
  /** Where the lab's own machines listen (`ctl.lab`'s host, port 0), 127.0.0.1 without one. */
  readonly lab: Listen;
  /** Where the lab waits for the machines started by hand (the `ctl.lab` line). */
  readonly control?: HostEntry;
  /** The machines of the run, each with its placement. */
  readonly machines: ReadonlyMap<string, Placement>;
}

/** How the placement learns which hosts are this one. */
export interface PlaceOptions {
  /** Start the machines of other hosts over SSH. @default false */
  readonly ssh?: boolean;
  /** Machines that a crash restarts (a replacement OS process). @default none */
  readonly spares?: readonly string[];
  /** Whether `hostname` is this host. */
  readonly isLocal: (hostname: string) => boolean;
  /**
   * Lines for machines the run does not have are left alone (a command that makes several runs
   * of one file, some without a machine; the command checked the file against all). @default false
   */
  readonly ignoreUnknown?: boolean;
}

/**
 * Places `machines` by `file`.
 *
 * @throws {HostsFileError} naming the line at fault: a machine the run does not have, a machine
 * on another host without a `ctl.lab` line (the others could not reach the lab), a `ctl.lab`
 * that is not on this host, a machine started by hand that a crash would restart.
 * @example A server on another host, a client here
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseHostsFile } from "./hosts_file.ts";
 * import { placeMachines } from "./_placement.ts";
 * const file = parseHostsFile("ctl.lab 10.9.0.1:7000\nm1.lab 10.9.0.2:4001\n", "h.txt");
 * const placed = placeMachines(["m1.lab", "m2.lab"], file, { isLocal: (h) => h === "10.9.0.1" });
 * assert.deepEqual(placed.machines.get("m1.lab"), {
 *   kind: "user", host: "10.9.0.2", listen: { hostname: "10.9.0.2", port: 4001 }, line: 2,
 * });
 * assert.deepEqual(placed.machines.get("m2.lab"), { kind: "here", listen: { hostname: "10.9.0.1", port: 0 } });
 * assert.throws(
 *   () => placeMachines(["m2.lab"], file, { isLocal: () => true }),
 *   /line 2: this run has no machine "m1.lab"; its machines: m2.lab/,
 * );
 * ```
 */
export function placeMachines(
  machines: readonly string[],
  file: HostsFile,
  options: PlaceOptions,
): Placements {
  const control = file.entries.find((e) => e.machine === CONTROL_MACHINE);
  if (control !== undefined && !options.isLocal(control.hostname)) {
    throw new HostsFileError(
      file.path,
      control.line,
      `${CONTROL_MACHINE} is the lab's own machine, but ${control.hostname} is not this host: ` +
        "run the lab there, or give an address of this host",
    );
  }
  const lab: Listen = { hostname: control?.hostname ?? "127.0.0.1", port: 0 };
  const placed = new Map<string, Placement>(
    machines.map((name) => [name, { kind: "here", listen: lab }]),
  );
  for (const entry of file.entries) {
    if (entry === control) continue;
    if (!placed.has(entry.machine)) {
      if (options.ignoreUnknown) continue;
      throw new HostsFileError(
        file.path,
        entry.line,
        `this run has no machine "${entry.machine}"; its machines: ${machines.join(", ")}`,
      );
    }
    const listen = { hostname: entry.hostname, port: entry.port };
    if (options.isLocal(entry.hostname)) {
      placed.set(entry.machine, { kind: "here", listen });
      continue;
    }
    if (control === undefined) {
      throw new HostsFileError(
        file.path,
        entry.line,
        `"${entry.machine}" is on another host (${entry.hostname}), which cannot reach a lab ` +
          `on 127.0.0.1: add a line "${CONTROL_MACHINE} ADDRESS:PORT" with an address of this host`,
      );
    }
    if (options.ssh) {
      placed.set(entry.machine, { kind: "ssh", host: entry.hostname, listen });
      continue;
    }
    if (options.spares?.includes(entry.machine)) {
      throw new HostsFileError(
        file.path,
        entry.line,
        `"${entry.machine}" is started by hand on ${entry.hostname}, so the lab cannot restart ` +
          "it after a crash: drop the restart time from its --crash, add --ssh, or run it here",
      );
    }
    placed.set(entry.machine, { kind: "user", host: entry.hostname, listen, line: entry.line });
  }
  return { lab, control, machines: placed };
}

/**
 * What the lab says when it waits for the machines started by hand: what to run on which host.
 *
 * @example One machine
 * ```ts
 * import assert from "node:assert/strict";
 * import { waitingMessage } from "./_placement.ts";
 * const text = waitingMessage("h.txt", [["m1.lab", { kind: "user", host: "10.9.0.2", listen: { hostname: "10.9.0.2", port: 4001 }, line: 2 }]], { control: "10.9.0.1:7000", waitMs: 60000 });
 * assert.match(text, /on 10\.9\.0\.2: +deno task lab node --hosts h\.txt --machine m1\.lab/);
 * ```
 */
export function waitingMessage(
  path: string,
  waiting: readonly (readonly [string, Placement])[],
  at: { readonly control: string; readonly waitMs: number; readonly auth?: boolean },
): string {
  const lines = waiting.map(([name, p]) =>
    `  on ${p.kind === "user" ? p.host : "?"}: deno task lab node --hosts ${path} --machine ${name}`
  );
  return [
    `archlab: waiting up to ${waitText(at.waitMs)} for ${waiting.length} machine${
      waiting.length === 1 ? "" : "s"
    } on other hosts, listening at ${at.control}; start ${
      waiting.length === 1 ? "it" : "them"
    } there (the same hosts file and this lab folder${
      at.auth ? ", ARCHLAB_AUTH_KEY set to this run's key" : ""
    }):`,
    ...lines,
  ].join("\n");
}

/** `host:port` of a placement's listener. */
export function listenText(listen: Listen): string {
  return endpointText(listen);
}
