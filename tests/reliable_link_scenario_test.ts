/**
 * The reliable link as a data-driven scenario (`tests/testdata/reliable_link.txt`): envelopes to
 * send, frames from the peer machine and ticks in; frames out, deliveries, link events and the
 * link's one deadline. `UPDATE_TESTDATA=1` rewrites the effect lines.
 *
 * In the file, a `message` from `app@m1.lab` whose body is `{"kind":"send","to":M,"id":ID}` is an
 * envelope `ID` of this machine for machine `M`; a `message` from `link@M` whose body is a wire
 * frame is that frame arriving from machine `M`. An envelope inside a frame is written as its
 * id, both ways.
 * @module
 */
import { machineOf } from "../core/name.ts";
import type { Envelope } from "../core/envelope.ts";
import { DeadlineKeeper, type Effect, type Input, type Protocol } from "../core/protocol/mod.ts";
import type { RetransmitOptions } from "../core/reliable_channel.ts";
import { type LinkEffect, ReliableLink } from "../core/reliable_link.ts";
import type { WireFrame } from "../core/wire.ts";
import { runScenario } from "./_scenario.ts";

/** The envelope a scenario calls `id`. */
function envelope(id: string): Envelope {
  return {
    id,
    from: `${id.split("#")[0]}@x.lab`,
    to: "p@y.lab",
    kind: "data",
    body: id,
    lamport: 1,
  };
}

/** A frame as the file writes it (its envelope as `id`) made whole, and back. */
function frameIn(body: Record<string, unknown>): WireFrame {
  if (body.kind === "ack") return body as unknown as WireFrame;
  const { id, ...rest } = body;
  return { ...rest, env: envelope(String(id)) } as unknown as WireFrame;
}

function frameOut(frame: WireFrame): unknown {
  if (frame.kind === "ack") return frame;
  const { kind, env, ...rest } = frame;
  return { kind, id: env.id, ...rest };
}

/** The link as a {@link Protocol}: its effects as sends, deliveries, logs and its deadline. */
function linkProtocol(link: ReliableLink): Protocol {
  const keeper = new DeadlineKeeper();
  const show = (input: Input | undefined, effects: readonly LinkEffect[]): Effect[] => [
    ...effects.map((effect): Effect => {
      switch (effect.kind) {
        case "transmit":
          return { kind: "send", to: `link@${effect.to}`, body: frameOut(effect.frame) };
        case "deliver":
          return { kind: "deliver", value: { from: effect.from, id: effect.env.id } };
        case "event":
          return { kind: "log", text: `${effect.ev} ${effect.env.id}: ${effect.note}` };
        default:
          return { kind: "log", text: `${effect.kind} ${effect.machine}` };
      }
    }),
    ...keeper.update(input, link.deadline),
  ];
  return {
    start: () => show(undefined, []),
    step(input: Input): Effect[] {
      if (input.kind === "tick") return show(input, link.tick(input.now));
      const { envelope: env, now } = input;
      const body = env.body as Record<string, unknown>;
      if (body.kind === "send") {
        return show(input, link.send(String(body.to), envelope(String(body.id)), now));
      }
      return show(input, link.receive(machineOf(env.from), frameIn(body), now));
    },
  };
}

Deno.test("ReliableLink acks, retransmits with RFC 6298's timeout and backoff, dedups and keeps FIFO (scenario)", async () => {
  await runScenario(new URL("./testdata/reliable_link.txt", import.meta.url), (args) => {
    const options = args.options === null ? null : (args.options ?? {}) as RetransmitOptions;
    return linkProtocol(new ReliableLink(Number(args.epoch ?? 1), options));
  });
});
