/**
 * Opens the lab's line to one machine's OS process where its placement says: a child `deno`
 * here, a child `ssh HOST deno ...` for a machine of another host the lab starts itself
 * (`--ssh`), or the connection of a machine started by hand on its host.
 * @module
 */
import type { DeployOptions } from "./deploy.ts";
import {
  childLink,
  nodeArgs,
  type NodeLink,
  type NodeSettings,
  settingArgs,
} from "./_node_process.ts";
import type { NodeListener } from "./_node_listener.ts";
import { listenText, type Placement } from "./_placement.ts";
import { waitText } from "./hosts_file.ts";
import { MachineStartError } from "./run_errors.ts";
import { shellQuote } from "../_flags.ts";

/** What opening a machine's line needs from the run. */
export interface LinkContext {
  /** Wall-clock ms that trace times count from. */
  readonly origin: number;
  readonly options: DeployOptions;
  /** Where the machine runs; `undefined`: here, on a free port of 127.0.0.1. */
  readonly placement?: Placement;
  /** Where the machines started by hand dial in. */
  readonly listener?: NodeListener;
  /** Longest wait for a machine started by hand, in ms. */
  readonly waitMs: number;
  /** Its disk file when it runs on this host (a replacement opens it again). @default none */
  readonly disk?: string;
  /** Settles when the run ends before it started (Ctrl-C, a failure): stop waiting then. */
  readonly abandon?: Promise<unknown>;
}

/**
 * The arguments of `ssh` that start a machine on `host`: `deno` with `denoArgs` there, from the
 * same folder path as here; no password prompt (`BatchMode`), the authentication key (when the
 * run has one) through `SendEnv` (the server must `AcceptEnv ARCHLAB_AUTH_KEY`), never on the
 * command line.
 *
 * @example The command for m1.lab on 10.0.0.2
 * ```ts
 * import assert from "node:assert/strict";
 * import { sshArgs } from "./_node_links.ts";
 * const args = sshArgs("10.0.0.2", ["run", "/srv/lab/node/command.ts", "--machine", "m1.lab"]);
 * assert.deepEqual(args, [
 *   "-o", "BatchMode=yes", "-o", "SendEnv=ARCHLAB_AUTH_KEY", "10.0.0.2",
 *   "deno", "run", "/srv/lab/node/command.ts", "--machine", "m1.lab",
 * ]);
 * ```
 */
export function sshArgs(host: string, denoArgs: readonly string[]): string[] {
  return [
    "-o",
    "BatchMode=yes",
    "-o",
    "SendEnv=ARCHLAB_AUTH_KEY",
    host,
    ...["deno", ...denoArgs].map(shellQuote),
  ];
}

/**
 * The command (program and arguments) that starts machine `name` where `placement` says:
 * `deno` here, or `ssh` for another host. `undefined` for a machine started by hand.
 *
 * @example Over SSH
 * ```ts
 * import assert from "node:assert/strict";
 * import { nodeCommand } from "./_node_links.ts";
 * const [program, args] = nodeCommand("m1.lab", { origin: 1, epoch: 2, options: {} }, {
 *   kind: "ssh", host: "10.0.0.2", listen: { hostname: "10.0.0.2", port: 4001 },
 * })!;
 * assert.equal(program, "ssh");
 * assert.equal(args[5], "deno");
 * assert.deepEqual(args.slice(-2), ["--listen", "10.0.0.2:4001"]);
 * ```
 */
export function nodeCommand(
  name: string,
  settings: NodeSettings,
  placement?: Placement,
): [string, string[]] | undefined {
  if (placement?.kind === "user") return undefined;
  const args = nodeArgs(name, settings);
  if (placement !== undefined) args.push("--listen", listenText(placement.listen));
  return placement?.kind === "ssh"
    ? ["ssh", sshArgs(placement.host, args)]
    : [Deno.execPath(), args];
}

/** Opens the line to machine `name`, incarnation `epoch`. */
export async function openLink(name: string, epoch: number, ctx: LinkContext): Promise<NodeLink> {
  const { options, placement } = ctx;
  // A disk file of this host only: a machine on another host keeps its own.
  const local = placement === undefined || (placement.kind !== "ssh" && placement.kind !== "user");
  const settings = { origin: ctx.origin, epoch, options, disk: local ? ctx.disk : undefined };
  const command = nodeCommand(name, settings, placement);
  if (command !== undefined) {
    const child = spawnNode(name, command, options);
    return childLink(child, placement?.kind === "ssh");
  }
  if (ctx.listener === undefined || placement?.kind !== "user") {
    throw new Error(`Cannot wait for machine "${name}": the lab has no listener for it`);
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ctx.listener!.forget(name);
      reject(
        new MachineStartError(
          name,
          `Cannot start machine "${name}": nobody started it on ${placement.host} within ${
            waitText(ctx.waitMs)
          } (run there: deno task lab node --hosts ${
            options.hosts?.path ?? "FILE"
          } --machine ${name})`,
        ),
      );
    }, ctx.waitMs);
  });
  // Rejected only while the wait lasts: after it, the run's end is no news to anybody here.
  let waiting = true;
  const abandoned = Promise.withResolvers<never>();
  ctx.abandon?.then(() => {
    if (!waiting) return;
    ctx.listener!.forget(name);
    abandoned.reject(
      new MachineStartError(name, "the run ended while the lab waited for it"),
    );
  });
  try {
    return await Promise.race([
      abandoned.promise,
      ctx.listener.expect(name, {
        type: "setup",
        args: [...settingArgs(settings), "--listen", listenText(placement.listen)],
        ...(options.auth ? { auth: true } : {}),
      }),
      late,
    ]);
  } finally {
    waiting = false;
    clearTimeout(timer);
  }
}

/**
 * Starts the OS process of machine `name` with `command`; a program that cannot be run (no `ssh`
 * on this host's PATH) is a {@link MachineStartError} that names it and says what to do.
 */
function spawnNode(
  name: string,
  [program, args]: [string, string[]],
  options: DeployOptions,
): Deno.ChildProcess {
  try {
    return new Deno.Command(program, {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
      // The key travels in the environment, not on the command line other users can read.
      env: options.auth ? { ARCHLAB_AUTH_KEY: options.auth.key } : undefined,
    }).spawn();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied)) {
      throw error;
    }
    const what = program === "ssh"
      ? "install an SSH client on this host (Debian: apt-get install openssh-client), or leave " +
        "out --ssh and start the machine by hand on its host"
      : `check that ${JSON.stringify(program)} exists and this user may run it`;
    throw new MachineStartError(
      name,
      `cannot run ${JSON.stringify(program)} (${error.message}): ${what}`,
      { cause: error },
    );
  }
}
