/**
 * The stepping server of `lab explore ARCH --ui`: serves the page on 127.0.0.1 and replays the
 * path the page sends (`POST /api/state` with `{ choices }`), answering with where it stopped.
 * @module
 */
import type { Simulator } from "../../core/simulator/simulator.ts";
import type { ExploreOptions } from "./explore.ts";
import { stepPage } from "./step_page.ts";
import { completePath, stepTo } from "./stepper.ts";

/** Options of {@link serveStepper}. */
export interface StepServerOptions<S> {
  /** Title of the page. @default "system" */
  readonly title?: string;
  /** The command the page names. @default "lab explore" */
  readonly command?: string;
  /** Port on 127.0.0.1; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** The exploration's options (invariant, simulator settings). @default none */
  readonly explore?: ExploreOptions<S>;
  /** A counterexample's choices, to jump to. @default none */
  readonly counterexample?: readonly string[];
}

/** A running stepping server. */
export interface StepServer {
  /** Its address, `http://127.0.0.1:PORT/`. */
  readonly url: string;
  /** Stops it. */
  close(): Promise<void>;
}

/**
 * Serves the stepping page for `system`.
 *
 * @example The API answers the first step
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveStepper } from "./step_server.ts";
 * const server = serveStepper((sim) => {
 *   sim.machine("m1.lab").spawn("r", async (ctx) => { await ctx.receive(); });
 *   sim.machine("m2.lab").spawn("s", (ctx) => ctx.send("r@m1.lab", "hi"));
 * }, { explore: { simulator: { reliable: false } } });
 * try {
 *   const response = await fetch(new URL("api/state", server.url), { method: "POST", body: '{"choices":[]}' });
 *   const view = await response.json();
 *   assert.deepEqual(view.pending.map((p: { label: string }) => p.label), ["m2.lab>m1.lab#1"]);
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export function serveStepper<S>(
  system: (sim: Simulator) => S | Promise<S>,
  options: StepServerOptions<S> = {},
): StepServer {
  const page = stepPage(options.title ?? "system", { command: options.command });
  // The counterexample's choices, then the seeded order up to the violation, step by step.
  const counterexample = options.counterexample &&
    completePath(system, options.counterexample, options.explore);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: options.port ?? 0, onListen: () => {} },
    async (request) => {
      const url = new URL(request.url);
      if (request.method === "GET" && url.pathname === "/") {
        return new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } });
      }
      if (request.method === "POST" && url.pathname === "/api/state") {
        try {
          const body = await request.json();
          const choices = Array.isArray(body?.choices) ? body.choices.map(String) : [];
          const view = await stepTo(system, choices, options.explore);
          return Response.json({ ...view, counterexample: (await counterexample) ?? null });
        } catch (error) {
          return Response.json({ error: (error as Error).message }, { status: 400 });
        }
      }
      if (url.pathname === "/favicon.ico") return new Response(null, { status: 204 });
      return new Response("not found", { status: 404 });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/`,
    close: () => server.shutdown(),
  };
}
