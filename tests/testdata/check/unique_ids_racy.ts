/**
 * A unique-ids node with a race: it serves each request in its own strand and reads its counter
 * before a pause, writing it back after, so two requests in flight together get the same id.
 * For `lab check unique-ids ... --explore` (tests/check_explore_test.ts).
 * @module
 */
import type { ProcessFn } from "../../../mod.ts";

/** Hands out ids `node/n`, racily. */
export const node: ProcessFn = async (ctx) => {
  let me = ctx.self;
  let next = 0;
  for (;;) {
    const request = await ctx.receive<{ kind: string; node?: string }>();
    if (request.body.kind === "init") me = request.body.node!;
    if (request.body.kind !== "generate") continue;
    (async () => {
      const n = next;
      await ctx.sleep(1);
      next = n + 1;
      await ctx.reply(request, { kind: "generate_ok", id: `${me}/${n}` });
    })();
  }
};
