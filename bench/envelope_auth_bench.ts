/**
 * The cost of envelope authentication. Group "auth frame": one message frame through the wire
 * (JSON encode and decode, the raw baseline), then signed and verified (HMAC-SHA256 over the
 * canonical frame, replay window), then also sealed and opened (AES-256-GCM). Group "auth sim":
 * 200 request/reply round trips between two simulated machines, plain (baseline), signed, and
 * signed and sealed.
 * @module
 */
import { AuthKey } from "../core/auth/auth_key.ts";
import { AuthStage } from "../core/auth/auth_stage.ts";
import type { Envelope } from "../core/envelope.ts";
import { signFrame, verifyFrame } from "../core/auth/envelope_auth.ts";
import { ReplayWindow } from "../core/auth/replay_window.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { decodeWire, encodeWire, type WireFrame } from "../core/wire.ts";

const KEY = new AuthKey("bench key: 32 bytes or more of shared secret");
const ENV: Envelope = {
  id: "client@m1.lab#1.1",
  from: "client@m1.lab",
  to: "kv@m2.lab",
  kind: "put",
  body: { kind: "put", key: "user:42", value: "x".repeat(64) },
  lamport: 7,
  corr: "client@m1.lab#1.1",
};
const FRAME: WireFrame = { kind: "msg", env: ENV, epoch: 1, seq: 1, base: 1 };

function throughWire(encrypt: boolean | null): () => void {
  const window = new ReplayWindow();
  let seq = 0;
  return () => {
    seq++;
    const out = encrypt === null
      ? FRAME
      : signFrame(FRAME, { key: KEY, from: "m1.lab", to: "m2.lab", epoch: 1, seq, encrypt });
    const back = decodeWire(encodeWire(out));
    if (encrypt !== null) verifyFrame(back, { key: KEY, from: "m1.lab", to: "m2.lab", window });
  };
}

Deno.bench("frame: JSON encode + decode (raw)", {
  group: "auth frame",
  baseline: true,
}, throughWire(null));
Deno.bench("frame: + sign + verify", { group: "auth frame" }, throughWire(false));
Deno.bench("frame: + sign + verify + seal + open", { group: "auth frame" }, throughWire(true));

async function pingPong(auth: "none" | "mac" | "sealed"): Promise<void> {
  const sim = new Simulator({
    seed: 1,
    trace: false,
    stages: auth === "none" ? [] : [new AuthStage({ key: KEY, encrypt: auth === "sealed" })],
  });
  sim.machine("m2.lab").spawn("kv", async (ctx) => {
    for (let i = 0; i < 200; i++) await ctx.reply(await ctx.receive(), { kind: "ok" });
  });
  let done = 0;
  sim.machine("m1.lab").spawn("client", async (ctx) => {
    for (let i = 0; i < 200; i++) await ctx.request("kv@m2.lab", ENV.body).then(() => done++);
  });
  await sim.run();
  if (done !== 200) throw new Error(`ping-pong: ${done} replies`);
}

// Async functions, not arrows returning promises: Deno.bench awaits only those.
Deno.bench("sim: 200 round trips (raw)", { group: "auth sim", baseline: true }, async () => {
  await pingPong("none");
});
Deno.bench("sim: 200 round trips, signed", { group: "auth sim" }, async () => {
  await pingPong("mac");
});
Deno.bench("sim: 200 round trips, signed + sealed", { group: "auth sim" }, async () => {
  await pingPong("sealed");
});
