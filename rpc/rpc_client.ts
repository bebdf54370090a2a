/**
 * The client side of an orphan policy: what a client does when it boots (after a crash: kill the
 * logged calls, or declare a new epoch), what it adds to each call (a log entry in stable storage,
 * an epoch, a quantum), and an agent process that answers the servers' renewals and probes while
 * its caller is suspended in a call.
 * @module
 */
import type { Envelope } from "../core/envelope.ts";
import { type Address, canonical, processOf } from "../core/name.ts";
import type { ProcessContext } from "../core/process.ts";
import {
  ANSWER_KIND,
  EPOCH_KIND,
  KILL_KIND,
  LOCATE_KIND,
  RENEW_KIND,
  type RpcAnswer,
  type RpcCall,
  type RpcEpoch,
  type RpcKill,
  type RpcLocate,
  type RpcRenew,
} from "./messages.ts";
import type { OrphanPolicy } from "./orphan_policy.ts";
import { orphanPolicy } from "./orphan_policy.ts";
import type { DiskStore } from "../core/storage/disk.ts";
import { type CallSession, createStub, type Stub, type StubOptions } from "./stub.ts";

/** Options of {@link RpcClient.boot}. */
export interface RpcClientOptions {
  /** The orphan policy. @default "none" */
  readonly policy?: OrphanPolicy;
  /**
   * Storage that survives a crash of this machine, shared by the machine's clients: the call log
   * (extermination) and the newest epoch a client of the machine declared (reincarnation,
   * gentle). @default the store `rpc` on the machine's disk (`ctx.disk`)
   */
  readonly store?: DiskStore;
  /** Servers to send kills and epoch announcements to after a restart. @default [] */
  readonly servers?: readonly string[];
  /** Expiration: ms of work a call may do before it must ask for another quantum. @default 50 */
  readonly quantum?: number;
}

const LOG = "log/";
/** The newest machine incarnation whose epoch a client of the machine declared. */
const EPOCH = "epoch";

/**
 * Whether a client booting in incarnation `epoch` of its machine must declare it a new epoch:
 * not when a client of this incarnation already did (it is recorded on `store`), nor on the first
 * boot the disk has seen (no older epoch can have computations anywhere). Records the
 * incarnation, synced, before the declaration leaves: a crash in between leaves the next
 * incarnation to declare its own, newer epoch, which ends this one's computations as well.
 */
function claimEpoch(store: DiskStore, epoch: number): boolean {
  const declared = store.get(EPOCH);
  if (typeof declared === "number" && declared >= epoch) return false;
  store.put(EPOCH, epoch);
  store.sync();
  return declared !== undefined;
}

/**
 * A process's RPC runtime under an orphan policy: boot it once per process, then make stubs.
 *
 * @example Extermination logs each call in stable storage while it runs
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { RpcClient, serveRpc } from "./mod.ts";
 * interface Echo { echo(text: string): string }
 * const sim = new Simulator({ seed: 1 });
 * const store = sim.disk("c1.lab").open("rpc"); // the client machine's disk, as ctx.disk has it
 * let logged: string[] = [];
 * sim.machine("s1.lab").spawn("echo", serveRpc<Echo>(() => ({
 *   echo: (text) => { logged = store.scan({ prefix: "log/" }).map(([key]) => key); return text; },
 * })));
 * sim.machine("c1.lab").spawn("client", async (ctx) => {
 *   const rpc = await RpcClient.boot(ctx, { policy: "extermination", servers: ["echo@s1.lab"] });
 *   assert.equal(await rpc.stub<Echo>("echo@s1.lab").echo("hi"), "hi");
 * });
 * await sim.run();
 * assert.equal(logged.length, 1);
 * assert.deepEqual(store.scan({ prefix: "log/" }), []);
 * assert.equal(sim.disk("c1.lab").stats().writes, 2);
 * ```
 */
export class RpcClient implements CallSession {
  /** The orphan policy. */
  readonly policy: OrphanPolicy;
  /** The agent answering renewals and probes (expiration, gentle), if any. */
  readonly agent: Address | undefined;
  readonly #ctx: ProcessContext;
  readonly #store: DiskStore;
  readonly #quantum: number;
  readonly #waiting = new Set<string>();
  #epoch: number;

  private constructor(ctx: ProcessContext, options: RpcClientOptions, epoch: number) {
    this.#ctx = ctx;
    this.policy = options.policy ?? "none";
    this.#store = options.store ?? ctx.disk.open("rpc");
    this.#quantum = options.quantum ?? 50;
    this.#epoch = epoch;
    if (this.policy === "expiration" || this.policy === "gentle") {
      this.agent = ctx.spawn(`${processOf(ctx.self)}-rpc`, (actx) => this.#answer(actx));
    }
  }

  /**
   * Boots the RPC runtime of `ctx`'s process: after a restart, extermination sends a kill for
   * every call found in the log; under reincarnation and gentle the epoch is the machine's
   * incarnation (`ctx.incarnation`), shared by all its clients, and the first client to boot
   * after a restart declares it to every server. A client starting beside others on a machine
   * that did not restart declares nothing, so it never ends its siblings' calls.
   *
   * @throws {TypeError} for an unknown policy or a malformed server name.
   * @throws {RangeError} for a quantum that is not a positive number of ms.
   */
  static async boot(ctx: ProcessContext, options: RpcClientOptions = {}): Promise<RpcClient> {
    const policy = orphanPolicy(options.policy ?? "none");
    const quantum = options.quantum ?? 50;
    if (!(quantum > 0) || quantum === Infinity) {
      throw new RangeError(`Cannot boot RPC: quantum ${quantum} must be a positive number of ms`);
    }
    const store = options.store ?? ctx.disk.open("rpc");
    const servers = (options.servers ?? []).map((s) => canonical(s));
    let epoch = 0;
    if (policy === "extermination") {
      const byServer = new Map<string, string[]>();
      for (const [key, server] of store.scan<string>({ prefix: LOG })) {
        byServer.set(server, [...byServer.get(server) ?? [], key.slice(LOG.length)]);
        store.delete(key);
      }
      for (const [server, ids] of byServer) {
        ctx.log(`rpc: exterminating ${ids.length} orphan(s) on ${server}`);
        await ctx.send(server, { kind: KILL_KIND, ids } satisfies RpcKill);
      }
    } else if (policy === "reincarnation" || policy === "gentle") {
      epoch = ctx.incarnation;
      if (claimEpoch(store, epoch)) {
        ctx.log(`rpc: new epoch ${epoch}`);
        for (const server of servers) {
          await ctx.send(server, { kind: EPOCH_KIND, epoch } satisfies RpcEpoch);
        }
      }
    }
    return new RpcClient(ctx, { ...options, policy, store, quantum }, epoch);
  }

  /**
   * The epoch this client's calls carry (reincarnation, gentle): its machine's incarnation, or a
   * newer epoch a server told it of; 0 under the other policies.
   */
  get epoch(): number {
    return this.#epoch;
  }

  /** Ids of the calls the process waits for now. */
  waiting(): string[] {
    return [...this.#waiting];
  }

  /** A stub for interface `T` at `server` whose calls follow this client's policy. */
  stub<T>(server: string, options: Omit<StubOptions<T>, "session"> = {}): Stub<T> {
    return createStub<T>(this.#ctx, server, { ...options, session: this });
  }

  /** See {@link CallSession.tags}. */
  tags(): Pick<RpcCall, "epoch" | "quantum" | "agent"> {
    switch (this.policy) {
      case "reincarnation":
        return { epoch: this.#epoch };
      case "gentle":
        return { epoch: this.#epoch, agent: this.agent };
      case "expiration":
        return { quantum: this.#quantum, agent: this.agent };
      default:
        return {};
    }
  }

  /** See {@link CallSession.begin}: extermination writes the log entry before the call leaves. */
  begin(id: string, server: Address): void {
    this.#waiting.add(id);
    if (this.policy !== "extermination") return;
    this.#store.put(LOG + id, server);
    this.#store.sync();
  }

  /** See {@link CallSession.end}: extermination removes the log entry. */
  end(id: string): void {
    this.#waiting.delete(id);
    if (this.policy === "extermination") this.#store.delete(LOG + id);
  }

  /**
   * See {@link CallSession.adopt}: a server that knows a newer epoch of this machine (one that
   * its incarnation numbers went back below) makes this client's calls carry it, so that they are
   * not refused. Only this client's calls: the epoch declared on the disk stays the incarnation.
   */
  adopt(epoch: number): void {
    if (epoch <= this.#epoch || (this.policy !== "reincarnation" && this.policy !== "gentle")) {
      return;
    }
    this.#epoch = epoch;
  }

  /** The agent: answers "is anyone waiting for call X?" for renewals and probes. */
  async #answer(ctx: ProcessContext): Promise<void> {
    for (;;) {
      const question: Envelope<RpcRenew | RpcLocate> = await ctx.receive({
        kind: [RENEW_KIND, LOCATE_KIND],
      });
      const id = question.body.id;
      const answer: RpcAnswer = { kind: ANSWER_KIND, id, waiting: this.#waiting.has(id) };
      await ctx.reply(question, answer);
    }
  }
}
