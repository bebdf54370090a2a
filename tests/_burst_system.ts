/**
 * A system for `launch()` on real sockets: `sender@m2.lab` sends {@link BURST} numbered messages
 * to `sink@m1.lab` as fast as it can; the sink takes them all and logs the order it got them in.
 * @module
 */
import type { ProcessMap } from "../mod.ts";

/** How many messages the sender sends. */
export const BURST = 200;

export default {
  "sink@m1.lab": async (ctx) => {
    const got: number[] = [];
    while (got.length < BURST) got.push((await ctx.receive<number>()).body);
    ctx.log(`got ${JSON.stringify(got)}`);
  },
  "sender@m2.lab": async (ctx) => {
    for (let i = 0; i < BURST; i++) await ctx.send("sink@m1.lab", i);
  },
} satisfies ProcessMap;
