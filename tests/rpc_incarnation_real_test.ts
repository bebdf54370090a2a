/**
 * Reincarnation's epochs on real hosts (real runtime, TCP on 127.0.0.1, a SQLite disk): the epoch
 * is the machine's incarnation on the wire, so a second client starting on a machine that did not
 * restart kills nothing, and the OS process that replaces a crashed machine (a higher incarnation,
 * the same disk file, as `lab` starts it) ends the orphans of all the old one's clients and no
 * other machine's call.
 * @module
 */
import { type Host, startHost } from "../core/network/host.ts";
import type { ProcessContext } from "../core/process.ts";
import {
  type CallOutcome,
  type CallScope,
  type CallStart,
  type OrphanPolicy,
  RpcClient,
  serveRpc,
  WorkLedger,
} from "../rpc/mod.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

/** Works until released (bounded): the call stays in progress as long as the test needs. */
interface Gate {
  hold(): number;
}

/** Safety net only: a condition not met after this long fails the test. */
const LIMIT_MS = 20_000;

/** A ledger whose test can wait for what the servers report. */
class WatchedLedger extends WorkLedger {
  readonly #waiters: { readonly ready: () => boolean; readonly resolve: () => void }[] = [];

  override began(call: CallStart): void {
    super.began(call);
    this.#check();
  }

  override ended(id: string, at: number, outcome: CallOutcome, reason?: string): void {
    super.ended(id, at, outcome, reason);
    this.#check();
  }

  /** Resolves once `ready()` holds; fails naming `what` after {@link LIMIT_MS}. */
  until(what: string, ready: () => boolean): Promise<void> {
    if (ready()) return Promise.resolve();
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const guard = setTimeout(() => reject(new Error(`Gave up waiting: ${what}`)), LIMIT_MS);
    this.#waiters.push({ ready, resolve: () => (clearTimeout(guard), resolve()) });
    return promise;
  }

  #check(): void {
    for (const waiter of this.#waiters.filter((w) => w.ready())) {
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }

  started(owner: string): number {
    return this.records().filter((r) => r.owner === owner).length;
  }
}

/** The servers and the state the test drives. */
interface Rig {
  readonly ledger: WatchedLedger;
  readonly endpoints: Map<string, string>;
  readonly hosts: Host[];
  release(): void;
  /** Starts machine `name` (incarnation `epoch`, disk `disk`) on this host. */
  host(name: string, epoch: number, disk?: string): Promise<Host>;
}

async function rig(policy: OrphanPolicy): Promise<Rig> {
  const ledger = new WatchedLedger();
  const endpoints = new Map<string, string>();
  const hosts: Host[] = [];
  let released = false;
  const host = async (name: string, epoch: number, disk?: string) => {
    const h = await startHost(name, { resolve: (m) => endpoints.get(m), seed: 1, epoch, disk });
    endpoints.set(name, h.endpoint);
    hosts.push(h);
    return h;
  };
  const server = await host("s1.lab", 1);
  server.machine.spawn(
    "rpc",
    serveRpc<Gate>((scope: CallScope) => ({
      async hold() {
        for (let i = 0; i < 20_000 && !released; i++) await scope.work(1);
        return scope.units;
      },
    }), { policy, ledger, step: 1, probeTimeout: 500 }),
  );
  return { ledger, endpoints, hosts, release: () => released = true, host };
}

/**
 * A client that boots the RPC runtime and calls `hold()`; `results` gets its epoch and result,
 * then `done` resolves.
 */
function client(
  policy: OrphanPolicy,
  results: Map<string, [number, number]>,
  done?: () => void,
) {
  return async (ctx: ProcessContext) => {
    const rpc = await RpcClient.boot(ctx, { policy, servers: ["rpc@s1.lab"] });
    const units = await rpc.stub<Gate>("rpc@s1.lab", { timeout: LIMIT_MS }).hold();
    results.set(ctx.self, [rpc.epoch, units]);
    done?.();
  };
}

async function closeAll(hosts: readonly Host[]): Promise<void> {
  for (const h of hosts.toReversed()) await h.close();
}

Deno.test("RpcClient.boot() on a real host: a second client of a machine that did not restart kills no call of the first", async () => {
  for (const policy of ["reincarnation", "gentle"] as const) {
    const r = await rig(policy);
    try {
      const c1 = await r.host("c1.lab", 1_000_007);
      const results = new Map<string, [number, number]>();
      const done = Promise.withResolvers<void>();
      c1.machine.spawn("first", client(policy, results, done.resolve));
      await r.ledger.until("the first call started", () => r.ledger.started("first@c1.lab") > 0);
      // The second client boots while the first one's call is in progress on the server.
      c1.machine.spawn("second", async (ctx) => {
        const rpc = await RpcClient.boot(ctx, { policy, servers: ["rpc@s1.lab"] });
        results.set(ctx.self, [rpc.epoch, 0]);
        r.release();
      });
      await c1.watch(done.promise);
      const first = r.ledger.records().find((c) => c.owner === "first@c1.lab");
      assertEquals(first?.outcome, "done", `${policy}: ${first?.reason}`);
      assertEquals(results.get("first@c1.lab")?.[0], 1_000_007, policy);
      assertEquals(results.get("second@c1.lab")?.[0], 1_000_007, policy);
    } finally {
      await closeAll(r.hosts);
    }
  }
});

Deno.test("RpcClient.boot() on a real host: the OS process replacing a crashed machine ends its clients' orphans only", async () => {
  const REASONS = { reincarnation: "new epoch", gentle: "owner not located" } as const;
  for (const policy of ["reincarnation", "gentle"] as const) {
    const dir = await Deno.makeTempDir();
    const r = await rig(policy);
    try {
      const disk = `${dir}/c1.sqlite`;
      const results = new Map<string, [number, number]>();
      const old = await r.host("c1.lab", 2_000_000, disk);
      old.machine.spawn("a", client(policy, results));
      old.machine.spawn("b", client(policy, results));
      const c2 = await r.host("c2.lab", 3_000_000);
      c2.machine.spawn("c", client(policy, results));
      await r.ledger.until("three calls started", () => r.ledger.records().length === 3);
      // The crash: the OS process goes, its calls on s1.lab become orphans.
      await old.close();
      r.hosts.splice(r.hosts.indexOf(old), 1);
      const again = await r.host("c1.lab", 2_000_001, disk);
      const booted = ["a", "b"].map((name) => {
        const { promise, resolve } = Promise.withResolvers<void>();
        again.machine.spawn(name, async (ctx) => {
          const rpc = await RpcClient.boot(ctx, { policy, servers: ["rpc@s1.lab"] });
          results.set(ctx.self, [rpc.epoch, 0]);
          resolve();
        });
        return promise;
      });
      await again.watch(Promise.all(booted));
      const killed = () => r.ledger.records().filter((c) => c.outcome === "killed");
      await r.ledger.until("both orphans killed", () => killed().length === 2);
      r.release();
      await r.ledger.until(
        "c's call ended",
        () => r.ledger.records().every((c) => c.outcome !== undefined),
      );
      assertEquals(
        killed().map((c) => [c.owner, c.reason]).toSorted(),
        [["a@c1.lab", REASONS[policy]], ["b@c1.lab", REASONS[policy]]],
        policy,
      );
      const c = r.ledger.records().find((rec) => rec.owner === "c@c2.lab");
      assertEquals(c?.outcome, "done", policy);
      assertEquals(results.get("a@c1.lab")?.[0], 2_000_001, policy);
      assertEquals(results.get("b@c1.lab")?.[0], 2_000_001, policy);
      assertTrue(r.ledger.records().length === 3, `${policy}: no call was made again`);
    } finally {
      await closeAll(r.hosts);
      await Deno.remove(dir, { recursive: true });
    }
  }
});
