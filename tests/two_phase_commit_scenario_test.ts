/**
 * Two-phase commit as data-driven scenarios (`tests/testdata/two_phase_commit_*.txt`): the
 * coordinator and the participant are core protocols, fed messages and ticks, answering with
 * effects; `UPDATE_TESTDATA=1` rewrites the effect lines.
 * @module
 */
import type { Effect, Input, Protocol } from "../core/protocol/mod.ts";
import {
  CommitCoordinator,
  type Failpoint,
  type LogRecord,
  ResourceManager,
  type StableWrite,
  type StoreView,
} from "../transactions/mod.ts";
import { runScenario } from "./_scenario.ts";

/** `new {"self", "incarnation", "log", "voteTimeoutMs", "retryMs", "failpoint"}` */
function coordinator(args: Record<string, unknown>): Protocol {
  return new CommitCoordinator(
    String(args.self),
    Number(args.incarnation ?? 1),
    (args.log ?? []) as LogRecord[],
    {
      voteTimeoutMs: args.voteTimeoutMs as number | undefined,
      retryMs: args.retryMs as number | undefined,
      failpoint: args.failpoint as Failpoint | undefined,
    },
  ) as Protocol;
}

/**
 * `new {"self", "data", "log", "activeTimeoutMs"}`: a participant over stable storage held in
 * memory, which takes the protocol's writes as a driver would.
 */
function participant(args: Record<string, unknown>): Protocol {
  const data = new Map(Object.entries((args.data ?? {}) as Record<string, unknown>));
  const log = [...(args.log ?? []) as LogRecord[]];
  const store: StoreView = {
    get: (key) => data.get(key),
    entries: () => Object.fromEntries(data),
    log: () => [...log],
  };
  const rm = new ResourceManager(store, {
    activeTimeoutMs: args.activeTimeoutMs as number | undefined,
  });
  const write = (effects: Effect[]): Effect[] => {
    for (const effect of effects) {
      if (effect.kind !== "persist") continue;
      const record = effect.record as StableWrite;
      if (record.kind === "failpoint") continue;
      if (record.kind === "apply") {
        for (const [key, value] of record.writes) data.set(key, value);
      }
      log.push(record.record);
    }
    return effects;
  };
  return {
    start: (now) => write(rm.start(now) as Effect[]),
    step: (input) => write(rm.step(input as Input<never>) as Effect[]),
  };
}

Deno.test("CommitCoordinator commits when all agree and aborts when one refuses or fails (scenario)", async () => {
  await runScenario(
    new URL("./testdata/two_phase_commit_coordinator.txt", import.meta.url),
    coordinator,
  );
});

Deno.test("ResourceManager makes writes permanent only on commit and blocks in doubt (scenario)", async () => {
  await runScenario(
    new URL("./testdata/two_phase_commit_participant.txt", import.meta.url),
    participant,
  );
});
