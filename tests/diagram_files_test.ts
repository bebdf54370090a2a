/**
 * Trace files: the SVG diagram's structure (one arrow per delivery, a mark per drop, well-formed
 * XML), a ShiViz log that satisfies ShiViz's own rules, and `--trace FILE` refusing a wrong
 * extension or an unwritable path before the run.
 * @module
 */
import { TimeoutError } from "../core/errors.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { toShiviz } from "../lab/diagram/shiviz.ts";
import { toSvg } from "../lab/diagram/svg.ts";
import { renderTrace } from "../lab/diagram/trace_file.ts";
import { checkTracePath } from "../lab/diagram/trace_path.ts";
import type { DiagramEvent } from "../lab/diagram/model.ts";
import { assertEquals, assertTrue } from "./_assert.ts";
import { runLab } from "./_lab.ts";

const DIR = new URL("./testdata/diagram/", import.meta.url);
const read = async (name: string): Promise<DiagramEvent[]> =>
  (await Deno.readTextFile(new URL(`${name}.jsonl`, DIR))).trim().split("\n").map((l) =>
    JSON.parse(l)
  );

/** Checks that every element of `xml` is closed in order; returns the element names seen. */
function wellFormed(xml: string): Set<string> {
  const stack: string[] = [], seen = new Set<string>();
  for (const m of xml.matchAll(/<(\/?)([a-zA-Z][\w:-]*)[^>]*?(\/?)>/g)) {
    const [, close, name, self] = m;
    seen.add(name);
    if (close) assertEquals(stack.pop(), name, `</${name}> closes the wrong element`);
    else if (!self) stack.push(name);
  }
  assertEquals(stack, [], "unclosed elements");
  return seen;
}

const count = (text: string, re: RegExp) => text.match(re)?.length ?? 0;

Deno.test("toSvg() draws one arrow per delivery, a cross per drop, a circle per suppressed copy", async () => {
  const events = await read("lost_request_retransmitted");
  const svg = toSvg(events, { showControl: true });
  wellFormed(svg);
  assertEquals(
    count(svg, /class="msg delivered/g),
    events.filter((e) => e.ev === "deliver").length,
  );
  assertEquals(count(svg, /class="drop-mark"/g), 1);
  assertEquals(count(svg, /class="suppressed-mark"/g), 1);
  assertEquals(count(svg, /class="msg delivered retransmit/g), 1);
  assertTrue(
    svg.includes("vector clock at delivery {&quot;kv@m1.lab&quot;:1,&quot;c1@m2.lab&quot;:1}"),
  );
});

Deno.test("toSvg() hides ctl.lab unless asked, and marks crashes, restarts, partitions and blocking", async () => {
  const hidden = toSvg(await read("lost_request_retransmitted"));
  assertTrue(!/class="lane"[^>]*><title>report@ctl.lab/.test(hidden), "ctl.lab lane drawn");
  assertEquals(count(hidden, /class="stub delivered/g), 1);
  const svg = toSvg(await read("partition_blocked_participant"), { title: "2PC <blocked>" });
  const names = wellFormed(svg);
  assertTrue(names.has("svg") && names.has("title"));
  assertTrue(svg.includes("2PC &lt;blocked&gt;"));
  assertEquals(count(svg, /class="marker crash"/g), 1);
  assertEquals(count(svg, /class="marker restart"/g), 1);
  assertEquals(count(svg, /class="band partition"/g), 1);
  assertEquals(count(svg, /class="band blocked"/g), 1);
  assertTrue(svg.includes(">epoch 2</text>"));
});

Deno.test("toSvg() of a large run draws its arrows grouped by lanes and fate, each delivery and drop counted", () => {
  const events: DiagramEvent[] = [];
  for (let i = 0; i < 3000; i++) {
    const m = { id: `${i}`, from: "a@m1.lab", to: "b@m2.lab", kind: i % 2 ? "get" : "put" };
    events.push({ t: i, ev: "send", at: "a@m1.lab", ...m });
    events.push(
      i % 10 === 0
        ? { t: i, ev: "drop", at: "m1.lab", ...m, note: "lost" }
        : { t: i + 2, ev: "deliver", at: "b@m2.lab", ...m },
    );
  }
  const svg = toSvg(events);
  wellFormed(svg);
  const counted = (cls: string) =>
    [...svg.matchAll(new RegExp(`class="${cls}[^"]*" data-count="(\\d+)"`, "g"))]
      .reduce((n, m) => n + Number(m[1]), 0);
  assertEquals(counted("msgs delivered"), 2700);
  assertEquals(counted("drop-marks"), 300);
  assertEquals(count(svg, /class="msg /g), 0);
  assertTrue(count(svg, /<path /g) < 10, "a path per group, not per message");
  assertTrue(svg.includes("grouped by lanes (details: diagram.html)"));
});

/** What ShiViz checks when it builds its graph (js/model/modelGraph.js). */
function assertShivizValid(log: string): number {
  const re = /(?<event>.*)\n(?<host>\S*) (?<clock>{.*})/gm;
  const events: { host: string; clock: Record<string, number> }[] = [];
  let consumed = 0;
  for (const m of log.matchAll(re)) {
    assertEquals(m.index, consumed, "text between events");
    consumed = m.index! + m[0].length + 1;
    events.push({ host: m.groups!.host, clock: JSON.parse(m.groups!.clock) });
  }
  assertEquals(consumed, log.length, "unparsed text at the end");
  const count = new Map<string, number>();
  for (const e of events) count.set(e.host, (count.get(e.host) ?? 0) + 1);
  const own = new Map<string, number>();
  const last = new Map<string, Record<string, number>>();
  for (const e of events) {
    const n = (own.get(e.host) ?? 0) + 1;
    own.set(e.host, n);
    assertEquals(e.clock[e.host], n, `${e.host}: clock values must start at 1 and grow by 1`);
    for (const [h, v] of Object.entries(e.clock)) {
      assertTrue(count.has(h), `unknown host ${h}`);
      assertTrue(v >= 1 && v <= count.get(h)!, `${h}: invalid clock value ${v}`);
      assertTrue(v >= (last.get(e.host)?.[h] ?? 0), `${e.host}: clock of ${h} went back`);
    }
    last.set(e.host, e.clock);
  }
  return events.length;
}

Deno.test("toShiviz() writes a log that ShiViz's default parser reads and its clock checks accept", async () => {
  for (const name of ["lost_request_retransmitted", "crash_restart_orphan", "rendezvous"]) {
    const events = await read(name);
    const log = toShiviz(events);
    assertTrue(assertShivizValid(log) > 0);
    assertEquals(renderTrace(events, "x.shiviz"), log);
  }
});

Deno.test("checkTracePath() refuses other extensions and unwritable paths, and leaves nothing behind", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const ext of [".jsonl", ".mmd", ".svg", ".html", ".shiviz"]) {
      checkTracePath(`${dir}/run${ext}`);
      assertEquals([...Deno.readDirSync(dir)], []);
    }
    const err = (f: () => void) => {
      try {
        f();
      } catch (e) {
        return (e as Error).message;
      }
      return "";
    };
    assertTrue(err(() => checkTracePath(`${dir}/run.png`)).includes('extension ".png"'));
    assertTrue(err(() => checkTracePath(`${dir}/missing/run.svg`)).includes("Cannot write trace"));
    assertTrue(err(() => checkTracePath(dir + "/")).includes("no extension"));
    await Deno.writeTextFile(`${dir}/kept.jsonl`, "old\n");
    checkTracePath(`${dir}/kept.jsonl`);
    assertEquals(await Deno.readTextFile(`${dir}/kept.jsonl`), "old\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lab --trace refuses a wrong extension or an unwritable path before the run (exit 2)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bad = await runLab("client-server", "--sim", "--trace", `${dir}/run.txt`);
    assertEquals(bad.code, 2);
    assertTrue(bad.stderr.includes('extension ".txt" is not a trace format'), bad.stderr);
    assertTrue(!bad.stdout.includes("architecture"), "the run started");
    const nowhere = await runLab("client-server", "--sim", "--trace", `${dir}/no/run.svg`);
    assertEquals(nowhere.code, 2);
    assertTrue(nowhere.stderr.includes("Cannot write trace"), nowhere.stderr);
    assertEquals([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lab --trace writes each format by its extension", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const args = ["client-server", "--sim", "--seed", "7", "--drop", "0.2", "--quiet"];
    for (const ext of ["jsonl", "mmd", "svg", "html", "shiviz"]) {
      const run = await runLab(...args, "--trace", `${dir}/run.${ext}`);
      assertEquals(run.code, 0, run.stderr);
    }
    const jsonl = await Deno.readTextFile(`${dir}/run.jsonl`);
    const deliveries = jsonl.split("\n").filter((l) => l.includes('"ev":"deliver"')).length;
    assertTrue((await Deno.readTextFile(`${dir}/run.mmd`)).startsWith("sequenceDiagram"));
    const svg = await Deno.readTextFile(`${dir}/run.svg`);
    wellFormed(svg);
    const ctl = jsonl.split("\n").filter((l) =>
      l.includes('"ev":"deliver"') && l.includes('@ctl.lab"')
    ).length;
    assertEquals(count(svg, /class="msg delivered/g), deliveries - ctl);
    assertTrue(count(svg, /class="drop-mark"/g) > 0);
    assertTrue((await Deno.readTextFile(`${dir}/run.html`)).startsWith("<!doctype html>"));
    assertShivizValid(await Deno.readTextFile(`${dir}/run.shiviz`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("toHtml() of a 20,000-event run stays under 5 MB", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const args = ["client-server", "--sim", "--requests", "1334", "--drop", "0.05", "--quiet"];
    for (const ext of ["jsonl", "html"]) {
      const run = await runLab(...args, "--trace", `${dir}/big.${ext}`);
      assertEquals(run.code, 0, run.stderr);
    }
    const events = (await Deno.readTextFile(`${dir}/big.jsonl`)).trim().split("\n").length;
    assertTrue(events >= 20_000, `only ${events} events`);
    const { size } = await Deno.stat(`${dir}/big.html`);
    assertTrue(size < 5_000_000, `${size} bytes`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("renderTrace() writes .jsonl as the trace's canonical JSON Lines, byte for byte", async () => {
  const sim = new Simulator({ seed: 3, drop: 0.1, duplicate: 0.05, reorder: 0.1 });
  sim.machine("m1.lab").spawn("kv", async (ctx) => {
    for (;;) {
      const m = await ctx.receive<{ kind: string }>();
      ctx.log(`got "${m.body.kind}" <x>\n\u00fc`);
      await ctx.reply(m, { kind: "ok" });
    }
  });
  sim.machine("m2.lab").spawn("c", async (ctx) => {
    for (let i = 0; i < 60; i++) {
      try {
        await ctx.request("kv@m1.lab", { kind: "put" }, { timeout: 40 });
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
      }
    }
  });
  sim.crash("m1.lab", { at: 30, restartAt: 60 });
  sim.partition(["m2.lab"], ["m1.lab"], { at: 80, until: 120 });
  await sim.run({ until: 100_000 });
  const kinds = new Set(sim.trace.events.map((e) => e.ev));
  for (const ev of ["drop", "duplicate", "crash", "restart", "partition", "log"] as const) {
    assertTrue(kinds.has(ev), `the run has a ${ev} event`);
  }
  assertEquals(renderTrace(sim.trace.events, "x.jsonl"), sim.trace.toJsonl());
});
