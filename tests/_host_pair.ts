/**
 * Shared setup of the transport tests over real loopback sockets: two hosts whose directories know
 * each other, and a bounded wait that also fails as soon as a watched host fails.
 * @module
 */
import { type Host, type HostOptions, startHost } from "../core/network/host.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

/** Safety net only: a test still waiting after this long fails instead of hanging. */
export const LIMIT_MS = 30_000;

/**
 * Waits for `done` while watching `hosts`, failing after {@link LIMIT_MS} with `hint` (what the
 * wait means) in the message.
 */
export async function within<T>(hosts: Host[], done: Promise<T>, hint = ""): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`still waiting after ${LIMIT_MS} ms${hint ? `: ${hint}` : ""}`)),
      LIMIT_MS,
    );
  });
  try {
    let watched: Promise<T> = done;
    for (const host of hosts) watched = host.watch(watched);
    return await Promise.race([watched, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Two hosts, `m1.lab` (a, seed 1) and `m2.lab` (b, seed 2), that resolve each other. */
export interface HostPair {
  /** `m1.lab`. */
  readonly a: Host;
  /** `m2.lab`. */
  readonly b: Host;
  /** Closes both hosts, a first. */
  close(): Promise<void>;
}

/** Starts {@link HostPair}'s two hosts with `options` (transport, faults, auth...) on both. */
export async function hostPair(options: Omit<HostOptions, "resolve" | "seed">): Promise<HostPair> {
  const endpoints = new Map<string, string>();
  const resolve = (m: string) => endpoints.get(m);
  const a = await startHost("m1.lab", { ...options, resolve, seed: 1 });
  const b = await startHost("m2.lab", { ...options, resolve, seed: 2 });
  endpoints.set("m1.lab", a.endpoint).set("m2.lab", b.endpoint);
  return {
    a,
    b,
    async close() {
      await a.close();
      await b.close();
    },
  };
}

/**
 * Asserts that a request from a process on `a` to an echo process on `b` is answered (`waku`,
 * upper-cased) and that `b` verified frames: what an authenticated pair must do.
 */
export async function assertAuthenticatedEcho(a: Host, b: Host): Promise<void> {
  b.machine.spawn("echo", async (ctx) => {
    const m = await ctx.receive<string>();
    await ctx.reply(m, m.body.toUpperCase());
  });
  const reply = Promise.withResolvers<unknown>();
  a.machine.spawn("client", async (ctx) => {
    reply.resolve((await ctx.request("echo@m2.lab", "waku", { timeout: 10_000 })).body);
  });
  assertEquals(await within([a, b], reply.promise), "WAKU");
  assertTrue((b.auth?.accepted ?? 0) > 0, `frames verified: ${JSON.stringify(b.auth)}`);
}
