/**
 * A three-tier stack in the simulator for tests: web.lab / logic.lab / data.lab, and HTTP
 * requests sent as messages from clients on ctl.lab.
 * @module
 */
import { Simulator, type SimulatorOptions } from "../core/simulator/simulator.ts";
import { dataTier } from "../tiers/three_tier/data_tier.ts";
import { logicTier } from "../tiers/three_tier/logic_tier.ts";
import { presentationTier } from "../tiers/three_tier/presentation_tier.ts";
import type { HttpRequestMessage, HttpResponseMessage } from "../tiers/three_tier/messages.ts";

/** An answer as a test reads it. */
export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
  // deno-lint-ignore no-explicit-any
  readonly json: any;
}

/** A request for {@link SimStack.send}. */
export interface Ask {
  readonly method?: string;
  readonly path: string;
  /** A string is sent as is; anything else as JSON. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** The stack. */
export interface SimStack {
  readonly sim: Simulator;
  /** Sends requests at once from separate clients, runs the simulator, returns the answers. */
  send(...asks: Ask[]): Promise<Answer[]>;
  /** Sends one request and returns its answer. */
  one(ask: Ask): Promise<Answer>;
}

/** Options of {@link simStack}. */
export interface StackOptions extends SimulatorOptions {
  readonly presentation?: Record<string, unknown>;
  readonly logic?: Record<string, unknown>;
  readonly data?: Record<string, unknown>;
}

function toMessage(ask: Ask): HttpRequestMessage {
  const body = ask.body === undefined || typeof ask.body === "string"
    ? ask.body as string | undefined
    : JSON.stringify(ask.body);
  return {
    kind: "http",
    method: ask.method ?? (body === undefined ? "GET" : "POST"),
    path: ask.path,
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...ask.headers,
    },
    body,
  };
}

/** Starts the three tiers in a new simulator. */
export function simStack(options: StackOptions = {}): SimStack {
  const sim = new Simulator({ seed: 1, ...options });
  sim.machine("data.lab").spawn("db", dataTier({ path: ":memory:", ...options.data }));
  sim.machine("logic.lab").spawn("logic", logicTier({ data: "db@data.lab", ...options.logic }));
  sim.machine("web.lab").spawn(
    "http",
    presentationTier({ logic: "logic@logic.lab", ...options.presentation }),
  );
  let clients = 0;
  const send = async (...asks: Ask[]): Promise<Answer[]> => {
    const answers: Answer[] = new Array(asks.length);
    asks.forEach((ask, i) => {
      sim.machine("ctl.lab").spawn(`client-${++clients}`, async (ctx) => {
        const reply = await ctx.request<HttpResponseMessage>("http@web.lab", toMessage(ask), {
          timeout: 60_000,
        });
        const { status, headers, body } = reply.body;
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
        answers[i] = { status, headers, text: body, json };
      });
    });
    await sim.run();
    return answers;
  };
  return { sim, send, one: async (ask) => (await send(ask))[0] };
}
