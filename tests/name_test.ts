/**
 * Naming (seed 004 §2.2: "proceso@maquina", "maquina:proceso", domains keep equal machine names
 * apart): parsing, formatting, canonical addresses and rejection of malformed names.
 * @module
 */
import {
  canonical,
  formatName,
  machineOf,
  parseMachine,
  parseName,
  processOf,
} from "../core/name.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { assertEquals, assertThrows, assertTrue } from "./_assert.ts";

Deno.test("parseName() reads process@machine.domain and machine:process alike", () => {
  const long = parseName("kv@m1.edu");
  assertEquals(long, { process: "kv", machine: "m1", domain: "edu" });
  assertEquals(parseName("m1.edu:kv"), long);
  assertEquals(parseName("kv@m1"), { process: "kv", machine: "m1", domain: "lab" });
  assertEquals(parseName("m1:kv"), parseName("kv@m1.lab"));
  assertEquals(parseName("c_1@node-2.cs.uni"), {
    process: "c_1",
    machine: "node-2",
    domain: "cs.uni",
  });
});

Deno.test("formatName() and canonical() give process@machine.domain", () => {
  assertEquals(formatName({ process: "kv", machine: "m1", domain: "edu" }), "kv@m1.edu");
  assertEquals(canonical("m1.edu:kv"), "kv@m1.edu");
  assertEquals(canonical("m1:kv"), "kv@m1.lab");
  assertEquals(canonical("kv@m1.lab"), "kv@m1.lab");
  for (const text of ["kv@m1.lab", "m2.edu:c1", "x@y"]) {
    assertEquals(formatName(parseName(canonical(text))), canonical(text));
  }
  assertEquals(machineOf("kv@m1.edu"), "m1.edu");
  assertEquals(processOf("kv@m1.edu"), "kv");
});

Deno.test("parseMachine() splits machine.domain and defaults the domain", () => {
  assertEquals(parseMachine("m1.edu"), { machine: "m1", domain: "edu" });
  assertEquals(parseMachine("m1"), { machine: "m1", domain: "lab" });
  assertThrows(() => parseMachine("m1..lab"), TypeError, '"m1..lab"');
  assertThrows(() => parseMachine(""), TypeError, "accepted forms");
});

Deno.test("parseName() rejects malformed names, quoting them and showing the accepted forms", () => {
  for (const bad of ["", "kv", "@m1", "kv@m1:x", "k v@m1", "m1:", "k.v@m1"]) {
    const error = assertThrows(() => parseName(bad), TypeError, `"${bad}"`);
    assertTrue(error.message.startsWith("Cannot parse process name"), error.message);
    assertTrue(error.message.includes("process@machine.domain"), error.message);
    assertTrue(error.message.includes("machine:process"), error.message);
    assertThrows(() => canonical(bad), TypeError, "accepted forms");
  }
});

Deno.test({
  name: "parseName() quotes the whole input when its machine part is malformed",
  fn() {
    for (const bad of ["kv@", ":kv", "kv@@m1", "kv@m1.", "kv@m1 x"]) {
      assertThrows(() => parseName(bad), TypeError, `"${bad}"`);
    }
  },
});

Deno.test("Simulator.machine() keeps m1.lab and m1.edu apart: each kv gets its own messages", async () => {
  const sim = new Simulator({ seed: 3 });
  const got: Record<string, unknown[]> = { lab: [], edu: [] };
  for (const domain of ["lab", "edu"]) {
    sim.machine(`m1.${domain}`).spawn("kv", async (ctx) => {
      for (let i = 0; i < 2; i++) got[domain].push((await ctx.receive()).body);
    });
  }
  sim.machine("c.lab").spawn("client", async (ctx) => {
    await ctx.send("kv@m1.lab", "to lab 1");
    await ctx.send("m1.edu:kv", "to edu 1");
    await ctx.send("m1:kv", "to lab 2");
    await ctx.send("kv@m1.edu", "to edu 2");
  });
  await sim.run();
  assertTrue(sim.machine("m1.lab") !== sim.machine("m1.edu"));
  assertEquals(sim.machine("m1") === sim.machine("m1.lab"), true);
  assertEquals(got, { lab: ["to lab 1", "to lab 2"], edu: ["to edu 1", "to edu 2"] });
});
