/**
 * Envelope authentication (BRIEF row 8): HMAC-SHA256 over each frame with a shared key,
 * `(epoch, seq)` inside the MAC and a replay window, optional AES-256-GCM sealing of bodies;
 * the pure layer, then the adapters in the simulator and on real TCP sockets.
 * @module
 */
import { AuthError, type AuthFailure } from "../core/auth/auth_error.ts";
import { AuthKey } from "../core/auth/auth_key.ts";
import { AuthStage, type AuthStageOptions, type AuthStats } from "../core/auth/auth_stage.ts";
import type { FrameStage, Transit, TransitSink } from "../core/pipeline/frame_pipeline.ts";
import { Incarnations } from "../core/auth/incarnations.ts";
import { Directory } from "../core/directory.ts";
import type { Envelope } from "../core/envelope.ts";
import { type SignedFrame, signFrame, verifyFrame } from "../core/auth/envelope_auth.ts";
import { TimeoutError } from "../core/errors.ts";
import { Machine } from "../core/machine.ts";
import { createRealRuntime } from "../core/real_runtime.ts";
import { ReplayWindow } from "../core/auth/replay_window.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { TcpNetwork } from "../core/network/tcp_network.ts";
import { encodeWire, type WireFrame } from "../core/wire.ts";
import { assertEquals, assertRejects, assertThrows, assertTrue } from "./_assert.ts";

const KEY = new AuthKey("archlab test key: 32 bytes or more of secret");
const OTHER = new AuthKey("another key that nobody in the lab shares!!");
const ROUTE = { from: "m1.lab", to: "m2.lab" } as const;
const ENV: Envelope = {
  id: "a@m1.lab#1.1",
  from: "a@m1.lab",
  to: "b@m2.lab",
  kind: "pay",
  body: { kind: "pay", account: "ada", amount: 5 },
  lamport: 1,
};

function signed(seq: number, options: { encrypt?: boolean; epoch?: number } = {}): SignedFrame {
  return signFrame({ kind: "msg", env: ENV, epoch: 1, seq, base: 1 }, {
    key: KEY,
    ...ROUTE,
    epoch: options.epoch ?? 1,
    seq,
    encrypt: options.encrypt,
  });
}

function refusal(fn: () => unknown, reason: AuthFailure): AuthError {
  const error = assertThrows(fn, AuthError) as AuthError;
  assertEquals(error.reason, reason, error.message);
  return error;
}

Deno.test("verifyFrame() refuses a frame whose body, header or route was tampered with (bad-mac)", () => {
  const frame = signed(1) as SignedFrame & { kind: "msg" };
  const verify = (f: SignedFrame, route: { from: string; to: string } = ROUTE) =>
    verifyFrame(f, { key: KEY, ...route });
  assertEquals(verify(frame), { kind: "msg", env: ENV, epoch: 1, seq: 1, base: 1 });
  const body = { ...frame, env: { ...frame.env, body: { ...ENV.body as object, amount: 500 } } };
  const error = refusal(() => verify(body), "bad-mac");
  assertTrue(error.message.includes('Cannot accept frame from "m1.lab"'), error.message);
  refusal(() => verify({ ...frame, env: { ...frame.env, to: "c@m2.lab" } }), "bad-mac");
  refusal(() => verify({ ...frame, seq: 2 }), "bad-mac");
  refusal(() => verify({ ...frame, auth: { ...frame.auth!, seq: 2 } }), "bad-mac");
  refusal(() => verify(frame, { from: "m3.lab", to: "m2.lab" }), "bad-mac");
  refusal(() => verify(frame, { from: "m1.lab", to: "m3.lab" }), "bad-mac");
});

Deno.test("verifyFrame() refuses a frame signed with another key (bad-mac) or not signed (missing)", () => {
  const foreign = signFrame({ kind: "msg", env: ENV }, { key: OTHER, ...ROUTE, epoch: 1, seq: 1 });
  refusal(() => verifyFrame(foreign, { key: KEY, ...ROUTE }), "bad-mac");
  const error = refusal(
    () => verifyFrame({ kind: "msg", env: ENV }, { key: KEY, ...ROUTE }),
    "missing",
  );
  assertTrue(error.message.includes("no authentication header"), error.message);
  refusal(() => verifyFrame({ kind: "ack", epoch: 1, seq: 3 }, { key: KEY, ...ROUTE }), "missing");
});

Deno.test("verifyFrame() with a ReplayWindow refuses a replayed frame, one older than the window and one of an older epoch", () => {
  const window = new ReplayWindow({ size: 8 });
  const verify = (f: SignedFrame) => verifyFrame(f, { key: KEY, ...ROUTE, window });
  const first = signed(1);
  verify(first);
  const error = refusal(() => verify(first), "replay");
  assertTrue(error.message.includes("epoch 1 seq 1 was accepted before"), error.message);
  verify(signed(3));
  verify(signed(2)); // reordered within the window: accepted once
  refusal(() => verify(signed(2)), "replay");
  verify(signed(20));
  refusal(() => verify(signed(4)), "replay"); // never seen, but older than the window
  verify(signed(1, { epoch: 2 })); // the sender restarted
  refusal(() => verify(signed(21)), "replay"); // epoch 1 is over
  // A refused forgery does not use up the window: the genuine frame is still accepted.
  const genuine = signed(2, { epoch: 2 });
  refusal(
    () => verify({ ...genuine, auth: { ...genuine.auth!, mac: first.auth!.mac } }),
    "bad-mac",
  );
  verify(genuine);
});

Deno.test("signFrame() with encrypt makes the body unreadable on the wire and verifyFrame() opens it", () => {
  const frame = signed(7, { encrypt: true });
  const bytes = encodeWire(frame);
  const text = new TextDecoder().decode(bytes);
  for (const secret of ['"ada"', "account", '"amount":5']) {
    assertTrue(!text.includes(secret), `wire bytes leak ${secret}: ${text}`);
  }
  assertTrue(text.includes('"kind":"pay"'), "the kind stays readable for routing and narration");
  const opened = verifyFrame(JSON.parse(text), { key: KEY, ...ROUTE });
  assertEquals(opened, { kind: "msg", env: ENV, epoch: 1, seq: 7, base: 1 });
  // Equal bodies at different positions give different ciphertexts.
  const again = signed(8, { encrypt: true }) as SignedFrame & { kind: "msg" };
  assertTrue(JSON.stringify(again.env.body) !== JSON.stringify((frame as typeof again).env.body));
  // Tampered ciphertext: refused.
  const sealed = (frame as typeof again).env.body as { $sealed: string };
  const flipped = sealed.$sealed.startsWith("A") ? "B" : "A";
  const tampered = {
    ...frame,
    env: { ...ENV, body: { $sealed: flipped + sealed.$sealed.slice(1) } },
  };
  refusal(() => verifyFrame(tampered as SignedFrame, { key: KEY, ...ROUTE }), "bad-mac");
  refusal(() => verifyFrame(frame, { key: OTHER, ...ROUTE }), "bad-mac");
});

Deno.test("AuthKey() and signFrame() refuse bad arguments", () => {
  assertThrows(() => new AuthKey(""), TypeError, "non-empty");
  assertThrows(
    () => signFrame({ kind: "msg", env: ENV }, { key: KEY, ...ROUTE, epoch: 1, seq: 0 }),
    RangeError,
    "seq 0",
  );
  assertThrows(() => new ReplayWindow({ size: 0 }), RangeError, "size 0");
});

function pingPong(sim: Simulator, rounds: number): { replies: () => number } {
  let replies = 0;
  sim.machine("m1.lab").spawn("pong", async (ctx) => {
    for (;;) {
      const request = await ctx.receive<{ n: number }>();
      await ctx.reply(request, { kind: "pong", n: request.body.n });
    }
  });
  sim.machine("m2.lab").spawn("ping", async (ctx) => {
    for (let n = 0; n < rounds; n++) {
      const reply = await ctx.request<{ n: number }>("pong@m1.lab", { kind: "ping", n }, {
        timeout: 20_000,
      });
      if (reply.body.n === n) replies++;
    }
  });
  return { replies: () => replies };
}

/** A simulator whose machines authenticate every frame, and the stage's counters. */
function authenticated(
  options: ConstructorParameters<typeof Simulator>[0],
  auth: AuthStageOptions,
  outer: FrameStage[] = [],
): { sim: Simulator; stats: AuthStats } {
  const stage = new AuthStage(auth);
  return { sim: new Simulator({ ...options, stages: [stage, ...outer] }), stats: stage.stats };
}

/**
 * A stage between authentication and the wire that records the signed frames arriving at
 * `machine` and can put them in again, as an attacker on the wire would.
 */
function wiretap(machine: string, only?: (frame: WireFrame) => boolean): {
  stage: FrameStage;
  captured: Transit[];
  replay(transits: Transit[]): void;
} {
  const captured: Transit[] = [];
  let inward: TransitSink | undefined;
  const stage: FrameStage = {
    receive(t, next) {
      inward = next;
      if (t.to === machine && (only?.(t.frame) ?? true)) captured.push({ ...t });
      next(t);
    },
  };
  return { stage, captured, replay: (transits) => transits.forEach((t) => inward!({ ...t })) };
}

Deno.test("AuthStage with encryption delivers through drops and duplicates; network duplicates are refused as replays", async () => {
  const { sim, stats } = authenticated({ seed: 11, drop: 0.2, duplicate: 0.3 }, {
    key: KEY,
    encrypt: true,
  });
  const run = pingPong(sim, 30);
  await sim.run();
  assertEquals(run.replies(), 30);
  assertTrue(stats.accepted > 60, `accepted ${stats.accepted}`);
  assertTrue(stats.rejected.replay > 0, "some duplicates were refused as replays");
  assertEquals(stats.rejected["bad-mac"] + stats.rejected.missing, 0);
  // First contact: m2's first frames to m1 are unbound until m1's hello tells its incarnation.
  assertTrue(stats.rejected.stale >= 1 && stats.rejected.stale <= 4, JSON.stringify(stats));
  const refused = sim.trace.events.filter((e) => e.ev === "drop" && e.note?.startsWith("auth"));
  assertEquals(refused.length, stats.rejected.replay + stats.rejected.stale);
});

Deno.test("AuthStage keeps runs replayable: the same seed gives the same trace, sealed or not", async () => {
  const digest = async (encrypt: boolean) => {
    const { sim } = authenticated({ seed: 21, drop: 0.1, duplicate: 0.1 }, { key: KEY, encrypt });
    pingPong(sim, 10);
    await sim.run();
    return `${sim.trace.digest()} ${sim.stats.bytes}`;
  };
  assertEquals(await digest(true), await digest(true));
  assertEquals(await digest(false), await digest(false));
});

Deno.test("AuthStage: a captured frame injected again is refused as a replay and delivered once", async () => {
  const tap = wiretap("m2.lab", (frame) => frame.kind === "msg");
  const { sim, stats } = authenticated(
    { seed: 3, latency: { kind: "constant", ms: 1 } },
    { key: KEY },
    [tap.stage],
  );
  const m2 = sim.machine("m2.lab");
  const got: unknown[] = [];
  m2.spawn("b", async (ctx) => {
    for (;;) got.push((await ctx.receive()).body);
  });
  sim.machine("m1.lab").spawn("a", (ctx) => ctx.send("b@m2.lab", { kind: "pay", amount: 5 }));
  sim.at(100, () => tap.replay(tap.captured.splice(0)));
  await sim.run();
  assertEquals(got, [{ kind: "pay", amount: 5 }]);
  assertEquals(stats.rejected.replay, 1);
});

Deno.test("AuthStage: an outsider with another key is refused (bad-mac), one without a key too (missing)", async () => {
  const { sim, stats } = authenticated({ seed: 5, reliable: { maxAttempts: 3 } }, {
    key: (machine) => machine === "evil.lab" ? OTHER : machine === "anon.lab" ? undefined : KEY,
  });
  sim.machine("m1.lab").spawn("kv", async (ctx) => {
    for (;;) await ctx.reply(await ctx.receive(), "secret value");
  });
  const outcomes: string[] = [];
  for (const name of ["evil.lab", "anon.lab", "m2.lab"]) {
    sim.machine(name).spawn("client", async (ctx) => {
      const answer = await ctx.request<string>("kv@m1.lab", "get", { timeout: 500 }).then(
        (reply) => reply.body,
        (error) => error instanceof TimeoutError ? "timeout" : String(error),
      );
      outcomes.push(`${name}: ${answer}`);
    });
  }
  await sim.run();
  assertEquals(outcomes.sort(), ["anon.lab: timeout", "evil.lab: timeout", "m2.lab: secret value"]);
  assertTrue(stats.rejected["bad-mac"] >= 1 && stats.rejected.missing >= 1, JSON.stringify(stats));
});

Deno.test("AuthStage: a crashed and restarted sender is accepted again (its new epoch restarts the sequence)", async () => {
  const { sim, stats } = authenticated({ seed: 8 }, { key: KEY, encrypt: true });
  const got: number[] = [];
  sim.machine("m2.lab").spawn("b", async (ctx) => {
    for (;;) got.push((await ctx.receive<number>()).body);
  });
  let boots = 0;
  sim.machine("m1.lab").spawn("a", async (ctx) => {
    const boot = ++boots;
    for (let i = 0; i < 3; i++) await ctx.send("b@m2.lab", boot * 10 + i, { sync: true });
  });
  sim.crash("m1.lab", { at: 200, restartAt: 300 });
  await sim.run();
  assertEquals(got, [10, 11, 12, 20, 21, 22]);
  assertEquals(stats.rejected.replay + stats.rejected["bad-mac"], 0);
});

Deno.test("AuthStage on real TCP: signed, sealed request/reply works and an unsigned machine is not heard", async () => {
  const endpoints = new Map<string, string>();
  const nodes: { machine: Machine; network: TcpNetwork }[] = [];
  const start = async (name: string, secure: boolean) => {
    const runtime = createRealRuntime({ seed: 1 });
    const directory = new Directory((m) => endpoints.get(m), { now: runtime.now });
    const auth = secure ? new AuthStage({ key: KEY, encrypt: true }) : undefined;
    const network = new TcpNetwork({ directory, runtime, stages: auth ? [auth] : [] });
    const machine = new Machine(name, { runtime, network });
    const stats = auth?.stats;
    const { hostname, port } = await network.listen(machine);
    endpoints.set(name, `${hostname}:${port}`);
    nodes.push({ machine, network });
    return { machine, stats };
  };
  try {
    const server = await start("m1.lab", true);
    const friend = await start("m2.lab", true);
    const outsider = await start("m3.lab", false);
    server.machine.spawn("echo", async (ctx) => {
      for (;;) {
        const request = await ctx.receive<string>();
        await ctx.reply(request, request.body.toUpperCase());
      }
    });
    const answer = Promise.withResolvers<string>();
    friend.machine.spawn("client", async (ctx) => {
      await ctx.request<string>("echo@m1.lab", "hello").then(
        (r) => answer.resolve(r.body),
        answer.reject,
      );
    });
    assertEquals(await answer.promise, "HELLO");
    const refused = Promise.withResolvers<unknown>();
    outsider.machine.spawn("client", async (ctx) => {
      await assertRejects(() => ctx.request("echo@m1.lab", "hello", { timeout: 300 }), TimeoutError)
        .then(refused.resolve, refused.reject);
    });
    await refused.promise;
    assertTrue(server.stats!.rejected.missing >= 1, JSON.stringify(server.stats));
    assertTrue(server.stats!.accepted >= 1);
  } finally {
    for (const { machine, network } of nodes) {
      machine.shutdown();
      await network.close();
    }
  }
});

/** A key-value server on m1 that records every PUT it executes, in any incarnation. */
function recordingKv(sim: Simulator, executed: string[]): void {
  sim.machine("m1.lab").spawn("kv", async (ctx) => {
    for (;;) {
      const request = await ctx.receive<{ kind: string; key: string }>();
      executed.push(request.body.key);
      await ctx.reply(request, { kind: "ok", key: request.body.key });
    }
  });
}

Deno.test("AuthStage: frames recorded before the receiver restarts are refused after it (stale), nothing runs again, and new traffic works", async () => {
  const tap = wiretap("m1.lab");
  const { sim, stats } = authenticated(
    { seed: 3, latency: { kind: "constant", ms: 1 } },
    { key: KEY },
    [tap.stage],
  );
  const m1 = sim.machine("m1.lab");
  const executed: string[] = [];
  recordingKv(sim, executed);
  const answers: string[] = [];
  sim.machine("m2.lab").spawn("client", async (ctx) => {
    for (let i = 0; i < 6; i++) {
      answers.push(
        (await ctx.request<{ key: string }>("kv@m1.lab", { kind: "put", key: `p${i}` }))
          .body.key,
      );
    }
    await ctx.sleep(500 - ctx.now()); // past the restart and the replay
    const after = await ctx.request<{ key: string }>("kv@m1.lab", { kind: "put", key: "p6" }, {
      timeout: 10_000,
    });
    answers.push(after.body.key);
  });
  let replayed = 0;
  sim.at(100, () => m1.crash());
  sim.at(110, () => m1.restart());
  sim.at(120, () => {
    const frames = tap.captured.splice(0);
    replayed = frames.filter((t) => t.frame.kind === "msg").length;
    const before = stats.rejected.stale;
    tap.replay(frames);
    assertEquals(stats.rejected.stale - before, frames.length);
  });
  await sim.run();
  assertTrue(replayed >= 6, `replayed ${replayed} message frames`);
  assertEquals(answers, ["p0", "p1", "p2", "p3", "p4", "p5", "p6"]);
  assertEquals(executed, ["p0", "p1", "p2", "p3", "p4", "p5", "p6"]);
  assertEquals(stats.rejected.replay + stats.rejected["bad-mac"] + stats.rejected.missing, 0);
});

Deno.test("AuthStage: under drops and a receiver restart, every request is answered once", async () => {
  const { sim } = authenticated({ seed: 8, drop: 0.2, duplicate: 0.1 }, {
    key: KEY,
    encrypt: true,
  });
  const executed: string[] = [];
  recordingKv(sim, executed);
  const answers: string[] = [];
  sim.machine("m2.lab").spawn("client", async (ctx) => {
    for (let i = 0; i < 20; i++) {
      try {
        const reply = await ctx.request<{ key: string }>(
          "kv@m1.lab",
          { kind: "put", key: `p${i}` },
          {
            timeout: 5_000,
          },
        );
        answers.push(reply.body.key);
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        answers.push("timeout");
      }
      await ctx.sleep(100);
    }
  });
  sim.at(800, () => sim.machine("m1.lab").crash());
  sim.at(900, () => sim.machine("m1.lab").restart());
  await sim.run();
  // A request caught by the crash may time out; every other one is answered, and only the
  // requests in flight across the restart may run twice (at least once, as without auth).
  assertTrue(answers.filter((a) => a === "timeout").length <= 2, answers.join());
  assertEquals(answers.slice(-5), ["p15", "p16", "p17", "p18", "p19"]);
  assertTrue(executed.length <= answers.length + 2, executed.join());
});

Deno.test("Incarnations: held frames go again once each, only in the incarnation that held them, and hellos are rate-limited", () => {
  const book = new Incarnations({ helloInterval: 100 });
  const sent: [string, string, WireFrame, boolean][] = [];
  book.attach((from, to, frame, hello) => sent.push([from, to, frame, hello]));
  const env = (n: number): Envelope => ({
    id: `a@m1.lab#1.${n}`,
    from: "a@m1.lab",
    to: "b@m2.lab",
    kind: "data",
    body: n,
    lamport: n,
  });
  book.hold("m1.lab", 1, "m2.lab", { kind: "msg", env: env(1), epoch: 1, seq: 1, base: 1 });
  book.hold("m1.lab", 1, "m2.lab", { kind: "ack", epoch: 5, seq: 1 });
  book.hold("m1.lab", 1, "m2.lab", { kind: "msg", env: env(1), epoch: 1, seq: 1, base: 1, tx: 2 });
  book.hold("m1.lab", 1, "m2.lab", { kind: "ack", epoch: 5, seq: 2 });
  book.resend("m1.lab", 1, "m2.lab");
  assertEquals(sent.map(([, , frame]) => frame.kind === "msg" ? frame.tx : frame.seq), [2, 2]);
  // Frames held by an earlier incarnation of the sender are never sent by a later one.
  book.hold("m1.lab", 1, "m2.lab", { kind: "ack", epoch: 5, seq: 3 });
  assertEquals(book.release("m1.lab", 2, "m2.lab"), []);
  sent.length = 0;
  assertEquals([book.hello("m2.lab", "m1.lab", 0), book.hello("m2.lab", "m1.lab", 99)], [
    true,
    false,
  ]);
  assertEquals(book.hello("m2.lab", "m1.lab", 100), true);
  assertEquals(sent.filter(([, , , hello]) => hello).length, 4); // two per hello, against loss
});

Deno.test("verifyFrame() with the receiver's epoch refuses a frame bound to another incarnation or unbound (stale); a rebound header is bad-mac", () => {
  const env: Envelope = {
    id: "a@m1.lab#1.1",
    from: "a@m1.lab",
    to: "b@m2.lab",
    kind: "put",
    body: { key: "x" },
    lamport: 1,
  };
  const route = { key: KEY, from: "m1.lab", to: "m2.lab" };
  const bound = signFrame({ kind: "msg", env }, { ...route, epoch: 1, seq: 1, peer: 10 });
  assertEquals(verifyFrame(bound, { ...route, epoch: 10 }), { kind: "msg", env });
  const reason = (frame: SignedFrame, epoch: number): AuthFailure | "accepted" => {
    try {
      verifyFrame(frame, { ...route, epoch });
      return "accepted";
    } catch (error) {
      if (error instanceof AuthError) return error.reason;
      throw error;
    }
  };
  assertEquals(reason(bound, 11), "stale"); // the receiver restarted: incarnation 11
  const unbound = signFrame({ kind: "msg", env }, { ...route, epoch: 1, seq: 2 });
  assertEquals(reason(unbound, 11), "stale");
  // Moving the binding to the new incarnation breaks the MAC.
  assertEquals(reason({ ...bound, auth: { ...bound.auth!, peer: 11 } }, 11), "bad-mac");
  assertThrows(
    () => signFrame({ kind: "msg", env }, { ...route, epoch: 1, seq: 1, peer: 1.5 }),
    RangeError,
  );
});
