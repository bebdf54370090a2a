/**
 * The disk (core/storage): the data-driven scenarios of `tests/testdata/disk.txt` in the
 * simulator (crash with and without sync, the fault on and off; `UPDATE_TESTDATA=1` rewrites the
 * indented lines), a process reaching it through `ctx.disk`, and a SQLite file that an OS
 * process killed with SIGKILL leaves with its synced writes and without the others; and the
 * stores built on the disk (transactions, post office, key-value server) sync before they return.
 * @module
 */
import assert from "node:assert/strict";
import { Simulator } from "../core/simulator/simulator.ts";
import type { Disk } from "../core/storage/disk.ts";
import { SqliteDisk } from "../core/storage/sqlite_disk.ts";
import { MemoryDisk } from "../core/storage/memory_disk.ts";
import { DiskMessageStore } from "../core/storage/message_store.ts";
import { StableStore } from "../transactions/stable_store.ts";
import { kvState } from "../tiers/client_server/kv_store.ts";

const MACHINE = "m1.lab";

/** Replays the scenario `text`, returning it with every indented line regenerated. */
function replayDisk(text: string): string {
  const out: string[] = [];
  let sim: Simulator | undefined;
  let disk: Disk | undefined;
  let traced = 0;
  for (const line of text.replace(/\n$/, "").split("\n")) {
    if (line.startsWith("  ")) continue;
    out.push(line);
    if (line === "" || line.startsWith("#")) continue;
    const [verb, ...words] = line.split(" ");
    const flags = Object.fromEntries(words.map((w) => w.split("=")).map(([k, v]) => [k, v ?? ""]));
    if (verb === "disk") {
      sim = new Simulator({ seed: Number(flags.seed), loseUnsynced: Number(flags.loseUnsynced) });
      disk = sim.disk(MACHINE);
      traced = 0;
      continue;
    }
    if (sim === undefined || disk === undefined) throw new Error(`"${line}" before a disk line`);
    const show = (value: unknown) => value === undefined ? "undefined" : JSON.stringify(value);
    const [store, key] = words;
    const rest = words.slice(2).join(" ");
    switch (verb) {
      case "put":
        disk.open(store).put(key, JSON.parse(rest));
        break;
      case "delete":
        disk.open(store).delete(key);
        break;
      case "batch":
        disk.open(store).batch(JSON.parse(words.slice(1).join(" ")));
        break;
      case "sync":
        disk.sync();
        break;
      case "crash":
        sim.crash(MACHINE);
        break;
      case "restart":
        sim.crash(MACHINE, { restartAt: 0 });
        break;
      case "get":
        out.push(`  ${show(disk.open(store).get(key))}`);
        break;
      case "scan": {
        const limit = flags.limit === undefined ? undefined : Number(flags.limit);
        const options = { prefix: flags.prefix, limit, reverse: "reverse" in flags };
        for (const [k, v] of disk.open(store).scan(options)) out.push(`  ${k} ${show(v)}`);
        break;
      }
      case "stats":
        out.push(`  ${JSON.stringify(disk.stats())}`);
        break;
      case "stores":
        out.push(`  ${JSON.stringify(disk.stores())}`);
        break;
      default:
        throw new Error(`Cannot replay "${line}": unknown verb ${verb}`);
    }
    const events = sim.trace.events;
    for (const e of events.slice(traced)) {
      if (e.ev === "log") out.push(`  trace ${e.at} ${e.note}`);
    }
    traced = events.length;
  }
  return out.join("\n") + "\n";
}

Deno.test("Disk keeps synced writes across a crash and loses unsynced ones only with the fault (scenario)", async () => {
  const file = new URL("./testdata/disk.txt", import.meta.url);
  const text = await Deno.readTextFile(file);
  const replayed = replayDisk(text);
  if (Deno.env.get("UPDATE_TESTDATA")) return await Deno.writeTextFile(file, replayed);
  assert.equal(replayed, text, "tests/testdata/disk.txt differs; UPDATE_TESTDATA=1 rewrites it");
});

Deno.test("ctx.disk survives the machine's crash: a restarted process finds what it synced", async () => {
  const sim = new Simulator({ seed: 4, loseUnsynced: 1 });
  const boots: number[] = [];
  sim.machine(MACHINE).spawn("counter", (ctx) => {
    const meta = ctx.disk.open("meta");
    const boot = (meta.get<number>("boots") ?? 0) + 1;
    meta.put("boots", boot);
    meta.sync();
    meta.put("unsynced", boot);
    boots.push(boot);
  });
  sim.crash(MACHINE, { at: 10, restartAt: 20 });
  sim.crash(MACHINE, { at: 30, restartAt: 40 });
  await sim.run();
  assert.deepEqual(boots, [1, 2, 3]);
  assert.equal(sim.disk(MACHINE).open("meta").get("unsynced"), 3);
  assert.equal(sim.disk(MACHINE).stats().lost, 2);
  assert.throws(() => sim.disk(MACHINE).open(""), /Cannot open disk store: name "" must be/);
  assert.throws(() => sim.disk(MACHINE).open("m").put("k", () => 1), /is not JSON/);
});

Deno.test("SqliteDisk keeps what was synced when its OS process is killed with SIGKILL", async () => {
  const dir = await Deno.makeTempDir({ prefix: "archlab-disk-" });
  const path = `${dir}/m1.sqlite`;
  const module = new URL("../core/storage/sqlite_disk.ts", import.meta.url).href;
  const code = `
    import { SqliteDisk } from ${JSON.stringify(module)};
    const disk = new SqliteDisk(${JSON.stringify(path)});
    const kv = disk.open("kv");
    kv.put("synced", 1);
    kv.batch([{ type: "put", key: "batch", value: [1, 2] }, { type: "del", key: "synced" }]);
    kv.put("synced", 2);
    kv.sync();
    kv.put("unsynced", 3);
    kv.put("synced", 4);
    console.log("ready");
    await new Promise(() => setInterval(() => {}, 1000));`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", code],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const first = await reader.read();
    assert.equal(first.value?.trim(), "ready");
    child.kill("SIGKILL");
    reader.releaseLock();
    assert.equal((await child.status).signal, "SIGKILL");
    using disk = new SqliteDisk(path);
    assert.deepEqual(disk.open("kv").scan(), [["batch", [1, 2]], ["synced", 2]]);
    assert.deepEqual(disk.stores(), ["kv"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the stores built on the disk sync before they return: a crash that loses unsynced writes loses none of theirs", () => {
  const disk = new MemoryDisk({ volatileCache: true });
  const tx = new StableStore(disk.open("transactions"));
  tx.initialize({ alice: 100 });
  tx.append({ type: "end", txid: "t0" });
  tx.apply([["alice", 70]], { type: "outcome", txid: "t1", decision: "commit", blockedMs: 0 });
  tx.setMeta("flag", "on");
  assert.equal(tx.nextIncarnation(), 1);
  assert.equal(disk.loseUnsynced(), 0, "transactions' StableStore left writes unsynced");
  const mail = new DiskMessageStore(disk.open("post-office"));
  const id = mail.put({ from: "a@m1.lab", to: "b@m2.lab", body: "kept", at: 0 });
  mail.put({ from: "a@m1.lab", to: "b@m2.lab", body: "taken", at: 1 });
  mail.remove("b@m2.lab", [id + 1]);
  assert.equal(disk.loseUnsynced(), 0, "DiskMessageStore left writes unsynced");
  const kv = kvState(10, disk.open("kv-server"));
  kv.execute("c1@m2.lab r1", { kind: "put", key: "x", value: "1", rid: "r1" });
  kv.remembered("c1@m2.lab r1");
  assert.equal(disk.loseUnsynced(), 0, "the key-value server left writes unsynced");
  assert.deepEqual([tx.entries(), tx.log().length, tx.meta("flag")], [{ alice: 70 }, 2, "on"]);
  assert.deepEqual(mail.peek("b@m2.lab", 10).map((m) => m.body), ["kept"]);
  assert.deepEqual(kvState(10, disk.open("kv-server")).stats(), {
    executed: 1,
    deduplicated: 1,
    keys: 1,
  });
});
