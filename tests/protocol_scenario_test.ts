/**
 * The scenario runner and the driver agree: a protocol replayed from its testdata file gives the
 * same effects, and a file that does not match fails.
 * @module
 */
import assert from "node:assert/strict";
import type { Effect, Input, Protocol } from "../core/protocol/mod.ts";
import { replay, runScenario } from "./_scenario.ts";

/** Echoes requests, logs each idle tick, stops on "bye". */
function echo(): Protocol {
  return {
    start: (now) => [{ kind: "deadline", at: now + 100 }],
    step(input: Input): Effect[] {
      if (input.kind === "tick") {
        return [{ kind: "log", text: `idle at ${input.now}` }, {
          kind: "deadline",
          at: input.now + 100,
        }];
      }
      const { envelope } = input;
      if (envelope.kind === "bye") return [{ kind: "stop", reason: "bye" }];
      return [{ kind: "reply", request: envelope, body: envelope.body }];
    },
  };
}

Deno.test("runScenario() replays a testdata file and matches every effect line", async () => {
  await runScenario(new URL("./testdata/protocol_echo.txt", import.meta.url), echo);
});

Deno.test("replay() shows the effects a protocol gives now, so a changed protocol fails its scenario", () => {
  const text = 'new {}\nmessage at=1 {"kind":"bye"}\n  stop later\n';
  assert.equal(replay(text, echo), 'new {}\nmessage at=1 {"kind":"bye"}\n  stop bye\n');
});
