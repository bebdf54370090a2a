/**
 * `deno task lab describe`: the taxonomy of communication (seed 000: persistence, synchrony,
 * temporal and referential coupling), measured rather than declared. Each channel runs small
 * experiments in the simulator and the table reports what happened.
 * @module
 */
import { TimeoutError, UnknownProcessError } from "../../core/errors.ts";
import type { ProcessContext } from "../../core/process.ts";
import { PostOfficeClient } from "../../core/storage/post_office_client.ts";
import { postOffice } from "../../core/storage/post_office_process.ts";
import { Simulator } from "../../core/simulator/simulator.ts";
import {
  intFlag,
  openFlags,
  RESULTS_FLAGS,
  RESULTS_HELP,
  resultsFolder,
  table,
} from "../_common.ts";
import { keepSummary } from "../results/session.ts";
import { describeTransports, type TransportProfile } from "./transports.ts";
import { type TransportName, TRANSPORTS } from "../../core/network/host_network.ts";
import { UsageError } from "../_flags.ts";

const USAGE = `Usage: deno task lab describe [--transports LIST] [--burst N] [--json]

Measures, for each way two processes can communicate, whether it is synchronous or asynchronous,
persistent or transient, temporally coupled and referentially coupled (the taxonomy of the
first lecture), by running small experiments in the simulator:
  synchrony     does the sender continue before the receiver has the message?
  persistence   does the message survive the sender's machine crashing while the receiver is down?
  temporal      does a receiver that starts a minute after the sender still get the message?
  referential   does what the sender sends name the receiver?

Then measures the transports a machine on a real host can use, TCP against UDP (and HTTP on
top of TCP), on real sockets on 127.0.0.1 (two machines in this process per experiment):
  set-up        the first request's round trip against the median of the next ones
  ordering      a burst of messages with the reliable channel off: how many the receiver got,
                lost, twice, or after a later one (counted from the trace)
  retransmission the same burst with the reliable channel on: every message once and in order,
                and the retransmissions and time it took

Runs on: the deterministic simulator for the channels (each answer is a small simulated
experiment); real loopback sockets for the transports (their figures vary from run to run).

Flags:
  --seed N              seed of the experiments (default 1)
  --transports LIST     the transports to measure, comma-separated (default tcp,udp,http;
                        none: skip them)
  --burst N             messages in each burst of the transport experiments (default 2000)
  --json                one JSON object on stdout
${RESULTS_HELP}
  -h, --help            this help

Examples:
  deno task lab describe
  deno task lab describe --transports tcp,udp --burst 5000
  deno task lab describe --json`;

const SENDER = "s@m1.lab", RECEIVER = "r@m2.lab";
const OFFICE = "office@m3.lab", BROKER = "broker@m3.lab";

/** One way of communicating: how the sender sends and how the receiver gets it. */
interface Channel {
  readonly name: string;
  readonly example: string;
  /** Mailbox capacity of the receiver. */
  readonly capacity?: number;
  send(ctx: ProcessContext): Promise<void>;
  /** Resolves to whether the message arrived within `timeout` ms. */
  get(ctx: ProcessContext, timeout: number): Promise<boolean>;
}

const direct = (ctx: ProcessContext, timeout: number) =>
  ctx.receive({ kind: "note", timeout }).then(() => true, () => false);

const CHANNELS: readonly Channel[] = [
  {
    name: "send (asynchronous)",
    example: "sockets, streaming",
    send: (ctx) => ctx.send(RECEIVER, { kind: "note" }),
    get: direct,
  },
  {
    name: "send (synchronous)",
    example: "a call that waits for delivery",
    send: (ctx) => ctx.send(RECEIVER, { kind: "note" }, { sync: true, timeout: 120_000 }),
    get: direct,
  },
  {
    name: "rendezvous (capacity 0)",
    example: "MPI_Ssend",
    capacity: 0,
    send: (ctx) => ctx.send(RECEIVER, { kind: "note" }, { sync: true, timeout: 120_000 }),
    get: direct,
  },
  {
    name: "request/reply",
    example: "a web page, RPC",
    send: async (ctx) => void await ctx.request(RECEIVER, { kind: "note" }, { timeout: 120_000 }),
    get: async (ctx, timeout) => {
      try {
        await ctx.reply(await ctx.receive({ kind: "note", timeout }), { kind: "ok" });
        return true;
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        return false;
      }
    },
  },
  {
    name: "post office (store-and-forward)",
    example: "e-mail, Telegram",
    send: async (ctx) => void await new PostOfficeClient(ctx, OFFICE).deposit(RECEIVER, "note"),
    get: async (ctx, timeout) => {
      const client = new PostOfficeClient(ctx, OFFICE);
      const deadline = ctx.now() + timeout;
      while (ctx.now() < deadline) {
        try {
          if ((await client.collect({ timeout: 500 })).length > 0) return true;
        } catch (error) {
          // The office is down (or slow): ask again.
          if (!(error instanceof TimeoutError || error instanceof UnknownProcessError)) throw error;
          await ctx.sleep(100);
        }
      }
      return false;
    },
  },
  {
    name: "publish/subscribe (broker)",
    example: "an Instagram post, a Canvas notice",
    send: (ctx) => ctx.send(BROKER, { kind: "publish", topic: "news" }),
    get: async (ctx, timeout) => {
      await ctx.send(BROKER, { kind: "subscribe", topic: "news" });
      return direct(ctx, timeout);
    },
  },
];

/** A broker that forwards each publication to the topic's current subscribers (volatile). */
async function broker(ctx: ProcessContext): Promise<void> {
  const subscribers = new Set<string>();
  for (;;) {
    const message = await ctx.receive<{ kind: string }>();
    if (message.body.kind === "subscribe") subscribers.add(message.from);
    else for (const to of subscribers) await ctx.send(to, { kind: "note" });
  }
}

interface Setup {
  readonly receiverDown?: { at: number; until: number };
  readonly senderCrashAt?: number;
  readonly receiverDelay?: number;
  readonly timeout: number;
}

interface Outcome {
  readonly got: boolean;
  readonly sentAt: number;
  readonly returnedAt: number;
  readonly gotAt: number;
  readonly namesReceiver: boolean;
}

async function experiment(channel: Channel, setup: Setup, seed: number): Promise<Outcome> {
  const sim = new Simulator({ seed, latency: { kind: "constant", ms: 2 } });
  sim.machine("m3.lab").spawn("office", postOffice());
  sim.machine("m3.lab").spawn("broker", broker);
  let got = false, gotAt = -1, returnedAt = -1;
  const delay = setup.receiverDelay ?? 0;
  sim.machine("m2.lab").spawn("r", async (ctx) => {
    if (delay > 0) await ctx.sleep(delay);
    if (await channel.get(ctx, setup.timeout)) {
      got = true;
      gotAt = ctx.now();
    }
  }, { capacity: channel.capacity });
  sim.machine("m1.lab").spawn("s", async (ctx) => {
    await ctx.sleep(10);
    try {
      await channel.send(ctx);
      returnedAt = ctx.now();
    } catch (error) {
      // The send failed for want of a receiver: that is what this channel does then.
      if (!(error instanceof TimeoutError || error instanceof UnknownProcessError)) throw error;
      returnedAt = -1;
    }
  });
  if (setup.receiverDown) {
    sim.crash("m2.lab", { at: setup.receiverDown.at, restartAt: setup.receiverDown.until });
  }
  if (setup.senderCrashAt !== undefined) sim.crash("m1.lab", { at: setup.senderCrashAt });
  await sim.run({ until: 200_000 });
  // The receiver has the message when its mailbox holds it (or, through an intermediary, when
  // its process obtained it).
  const held = sim.trace.events.find((e) =>
    e.ev === "deliver" && e.to === RECEIVER && e.kind === "note"
  );
  if (held !== undefined && got) gotAt = Math.min(gotAt, held.t);
  const first = sim.trace.events.find((e) => e.ev === "send" && e.from === SENDER);
  const namesReceiver = first !== undefined &&
    (first.to === RECEIVER || (first.label ?? "").includes(RECEIVER));
  return { got, sentAt: 10, returnedAt, gotAt, namesReceiver };
}

/** What the experiments measured for one channel. */
export interface ChannelProfile {
  readonly channel: string;
  readonly example: string;
  readonly synchrony: "synchronous" | "asynchronous";
  /** Ms the sender waited in its send, in the timing experiment. */
  readonly senderWaitMs: number;
  readonly persistence: "persistent" | "transient";
  readonly temporal: "coupled" | "decoupled";
  readonly referential: "coupled" | "decoupled";
}

/** Measures every channel; deterministic for a seed. */
export async function describeChannels(seed = 1): Promise<ChannelProfile[]> {
  const profiles: ChannelProfile[] = [];
  for (const channel of CHANNELS) {
    // The receiver takes 50 ms before it asks for the message.
    const timing = await experiment(channel, { receiverDelay: 50, timeout: 5_000 }, seed);
    // The receiver's machine is down when the message is sent and the sender's machine crashes
    // right after sending; the receiver comes back later.
    const crash = await experiment(channel, {
      receiverDown: { at: 0, until: 1_000 },
      senderCrashAt: 30,
      timeout: 5_000,
    }, seed);
    // The receiver starts a minute after the sender sent (and the sender stays up).
    const late = await experiment(channel, {
      receiverDown: { at: 0, until: 60_000 },
      timeout: 5_000,
    }, seed);
    profiles.push({
      channel: channel.name,
      example: channel.example,
      synchrony: timing.got && timing.returnedAt >= timing.gotAt ? "synchronous" : "asynchronous",
      senderWaitMs: timing.returnedAt - timing.sentAt,
      persistence: crash.got ? "persistent" : "transient",
      temporal: late.got ? "decoupled" : "coupled",
      referential: timing.namesReceiver ? "coupled" : "decoupled",
    });
  }
  return profiles;
}

/** `--transports`: a comma-separated list of transports, or `none`. */
function transportsFlag(value: unknown): TransportName[] {
  if (value === undefined) return [...TRANSPORTS];
  if (value === "none") return [];
  const names = String(value).split(",");
  for (const name of names) {
    if (!(TRANSPORTS as readonly string[]).includes(name)) {
      throw new UsageError(
        `Cannot use --transports "${value}": "${name}" is no transport; list some of ${
          TRANSPORTS.join(",")
        }, or none`,
        USAGE,
      );
    }
  }
  return names as TransportName[];
}

/** Runs `lab describe`; returns the exit code. */
export async function runDescribe(args: string[]): Promise<number> {
  const opened = openFlags(args, {
    help: { type: "boolean", short: "h" },
    json: { type: "boolean" },
    seed: { type: "string" },
    transports: { type: "string" },
    burst: { type: "string" },
    ...RESULTS_FLAGS,
  }, USAGE);
  if (opened === undefined) return 0;
  const { values } = opened;
  const seed = intFlag("seed", values.seed, 1, USAGE);
  const transports = transportsFlag(values.transports);
  const burst = intFlag("burst", values.burst, 2000, USAGE);
  resultsFolder(values, seed, USAGE);
  const profiles = await describeChannels(seed);
  const measured = transports.length === 0 ? [] : await describeTransports({ transports, burst });
  keepSummary({ architecture: "describe", channels: profiles, transports: measured });
  if (values.json) {
    console.log(
      JSON.stringify({ architecture: "describe", channels: profiles, transports: measured }),
    );
    return 0;
  }
  const rows = [
    ["channel", "synchrony", "sender waits", "persistence", "temporal", "referential", "like"],
    ...profiles.map((p) => [
      p.channel,
      p.synchrony,
      `${p.senderWaitMs} ms`,
      p.persistence,
      p.temporal,
      p.referential,
      p.example,
    ]),
  ];
  printRows(rows);
  console.log(
    "\n" + table([
      ["measured by", "three simulated experiments per channel (see --help)"],
      ["latency", "2 ms per hop; the receiver asks for the message 50 ms after it was sent"],
    ]),
  );
  if (measured.length > 0) printTransports(measured);
  return 0;
}

function printRows(rows: string[][]): void {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const row of rows) {
    console.log(row.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd());
  }
}

function printTransports(measured: readonly TransportProfile[]): void {
  console.log("");
  printRows([
    [
      "transport",
      "1st round trip",
      "next",
      "unreliable: got",
      "lost",
      "twice",
      "reordered",
      "reliable: retransmissions",
      "burst in",
    ],
    ...measured.map((t) => [
      t.transport,
      `${t.firstRoundTripMs.toFixed(2)} ms`,
      `${t.roundTripMs.toFixed(2)} ms`,
      `${t.unreliable.delivered}/${t.burst}`,
      String(t.unreliable.lost),
      String(t.unreliable.duplicated),
      String(t.unreliable.reordered),
      t.reliable.exactlyOnceInOrder ? String(t.reliable.retransmissions) : "NOT exactly once",
      `${t.reliable.ms} ms`,
    ]),
  ]);
  console.log(
    "\n" + table([
      ["measured on", "real sockets on 127.0.0.1, two machines in this process (figures vary)"],
      [
        "set-up",
        "the first round trip opens TCP's and HTTP's connections; UDP sends at once",
      ],
      [
        "burst",
        `${measured[0].burst} one-way messages sent as fast as the sender can: UDP has no flow ` +
        "control, so what its receive buffer cannot hold is lost and the reliable channel " +
        "retransmits it; TCP's window holds the sender back",
      ],
    ]),
  );
}
