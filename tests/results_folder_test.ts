/**
 * Results folders: `--out DIR` writes summary.json, run.json, trace.jsonl, diagram.html,
 * diagram.svg, latency.svg and a ShiViz log, each well-formed; `--artifacts` makes
 * `runs/<arch>-<seed>-<time>/` with `runs/latest`; bad paths are refused before the run.
 * @module
 */
import assert from "node:assert/strict";
import { SHIVIZ_REGEX } from "../lab/diagram/shiviz.ts";
import { runLab } from "./_lab.ts";

const MAIN = new URL("../lab/main.ts", import.meta.url).pathname;

/** No `src`/`href` attribute reaches the network. */
function assertSelfContained(html: string): void {
  const remote = html.match(/\b(?:src|href)\s*=\s*["']?\s*https?:/gi);
  assert.equal(remote, null, `remote references: ${remote}`);
}

Deno.test("lab --out DIR writes every artifact of a simulated run, each well-formed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "archlab-out-" });
  try {
    const run = await runLab(
      "client-server",
      "--sim",
      "--seed",
      "4",
      "--drop",
      "0.1",
      "--crash",
      "m1.lab@30..90",
      "--json",
      "--out",
      `${dir}/run`,
    );
    assert.equal(run.code, 0, run.stderr);
    const out = `${dir}/run`;
    const summary = JSON.parse(await Deno.readTextFile(`${out}/summary.json`));
    assert.deepEqual(summary, JSON.parse(run.stdout), "summary.json is the --json object");
    const info = JSON.parse(await Deno.readTextFile(`${out}/run.json`));
    assert.equal(info.architecture, "client-server");
    assert.equal(info.seed, 4);
    assert.equal(info.verdict, "ok");
    assert.deepEqual([...info.files].sort(), [
      "diagram.html",
      "diagram.svg",
      "latency.svg",
      "run.json",
      "summary.json",
      "trace.jsonl",
      "trace.shiviz",
    ]);
    const lines = (await Deno.readTextFile(`${out}/trace.jsonl`)).trimEnd().split("\n");
    assert.equal(lines.length, info.events);
    for (const line of lines) JSON.parse(line);
    for (const svg of ["diagram.svg", "latency.svg"]) {
      const text = await Deno.readTextFile(`${out}/${svg}`);
      assert.ok(text.startsWith("<svg"), `${svg} starts with ${text.slice(0, 20)}`);
      assert.ok(text.trimEnd().endsWith("</svg>"), `${svg} is complete`);
    }
    const latency = await Deno.readTextFile(`${out}/latency.svg`);
    assert.match(latency, /class="fault crash"/, "the crash window is marked");
    const html = await Deno.readTextFile(`${out}/diagram.html`);
    assert.ok(html.startsWith("<!doctype html>"));
    assertSelfContained(html);
    const shiviz = await Deno.readTextFile(`${out}/trace.shiviz`);
    const parsed = [...shiviz.matchAll(new RegExp(SHIVIZ_REGEX, "gm"))];
    assert.ok(parsed.length > 10, "the ShiViz log parses with ShiViz's regex");
    for (const m of parsed.slice(0, 50)) JSON.parse(m.groups!.clock);
    assert.match(run.stderr, /results in .*run\//);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lab --artifacts writes runs/<arch>-<seed>-<time>/ and points runs/latest at it", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "archlab-runs-" });
  try {
    const lab = (...args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", MAIN, ...args],
        cwd,
        stdout: "piped",
        stderr: "piped",
      }).output();
    const first = await lab("p2p", "--sim", "--seed", "2", "--quiet", "--artifacts");
    assert.equal(first.code, 0, new TextDecoder().decode(first.stderr));
    const second = await lab("rpc", "--seed", "5", "--quiet", "--out");
    assert.equal(second.code, 0, new TextDecoder().decode(second.stderr));
    const names = [];
    for await (const e of Deno.readDir(`${cwd}/runs`)) names.push(e.name);
    names.sort();
    assert.equal(names.length, 3, names.join(", "));
    assert.match(names[0], /^latest$/);
    assert.match(names[1], /^p2p-2-\d{8}T\d{6}Z$/);
    assert.match(names[2], /^rpc-5-\d{8}T\d{6}Z$/);
    assert.equal(await Deno.readLink(`${cwd}/runs/latest`), names[2]);
    const info = JSON.parse(await Deno.readTextFile(`${cwd}/runs/latest/run.json`));
    assert.equal(info.command, "rpc");
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("lab refuses --trace x.txt and an unwritable --out before the run (exit 2)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "archlab-out-" });
  try {
    const bad = await runLab("client-server", "--sim", "--trace", `${dir}/x.txt`);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /extension "\.txt" is not a trace format/);
    assert.match(bad.stderr, /\.jsonl, \.mmd, \.svg, \.html, \.shiviz/);
    assert.equal(bad.stdout, "", "nothing ran");
    const missing = await runLab("client-server", "--sim", "--out", `${dir}/no/such/run`);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Cannot write results to/);
    assert.equal(missing.stdout, "", "nothing ran");
    await Deno.writeTextFile(`${dir}/file`, "");
    const file = await runLab("client-server", "--sim", "--out", `${dir}/file`);
    assert.equal(file.code, 2);
    assert.match(file.stderr, /it is a file, not a folder/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lab describe --out DIR: a command without a trace writes its summary and run.json", async () => {
  const dir = await Deno.makeTempDir({ prefix: "archlab-out-" });
  try {
    const run = await runLab("describe", "--json", "--out", `${dir}/d`);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      JSON.parse(await Deno.readTextFile(`${dir}/d/summary.json`)),
      JSON.parse(run.stdout),
    );
    const info = JSON.parse(await Deno.readTextFile(`${dir}/d/run.json`));
    assert.deepEqual(info.files, ["summary.json", "run.json"]);
    assert.equal(info.architecture, "describe");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
