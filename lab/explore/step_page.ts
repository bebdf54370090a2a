/**
 * The stepping page: one HTML document with its script. It keeps the path (the choices made so
 * far) in the page, asks the server to replay it (`POST /api/state`), and shows the pending
 * events with a button per action (deliver or fire, drop or duplicate an arrival), every
 * process's mailbox and last log lines, the verdict; "Back" replays the path without its last
 * choice, "Counterexample" jumps to the one exploration found.
 * @module
 */

/** Options of {@link stepPage}. */
export interface StepPageOptions {
  /** The command named in the title. @default "lab explore" */
  readonly command?: string;
}

/**
 * The page for architecture (or file) `title`.
 *
 * @example It names the architecture and has a back button
 * ```ts
 * import assert from "node:assert/strict";
 * import { stepPage } from "./step_page.ts";
 * const html = stepPage("2pc");
 * assert.match(html, /<title>lab explore 2pc<\/title>/);
 * assert.match(html, /id="back"/);
 * assert.match(stepPage("ping.ts", { command: "lab step" }), /<title>lab step ping.ts<\/title>/);
 * ```
 */
export function stepPage(title: string, options: StepPageOptions = {}): string {
  const safe = title.replace(/[^\w .\/-]/g, "");
  const command = (options.command ?? "lab explore").replace(/[^\w .-]/g, "");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${command} ${safe}</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.2em; } h2 { font-size: 1em; margin-top: 1.2em; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
button { margin-right: 4px; } code { font-size: 12px; }
#verdict.bad { color: #b00; font-weight: bold; } #verdict.ok { color: #070; }
</style></head>
<body>
<h1>${command} ${safe}: step by hand</h1>
<p><button id="back">Back</button><button id="restart">Restart</button>
<button id="cex" hidden>Counterexample</button>
time <span id="time">0</span> ms · <span id="verdict"></span></p>
<h2>Path</h2><ol id="path"></ol>
<h2>What may happen next</h2>
<table><thead><tr><th>event</th><th>kind</th><th>at</th><th>due</th><th></th></tr></thead>
<tbody id="pending"></tbody></table>
<h2>Processes</h2>
<table><thead><tr><th>process</th><th>mailbox</th><th>last log lines</th></tr></thead>
<tbody id="processes"></tbody></table>
<script type="module">
let path = [];
let counterexample = null;
const $ = (id) => document.getElementById(id);
const cell = (text) => { const td = document.createElement("td"); td.textContent = text; return td; };
async function show() {
  const response = await fetch("/api/state", { method: "POST", body: JSON.stringify({ choices: path }) });
  const view = await response.json();
  if (view.error) { $("verdict").textContent = view.error; $("verdict").className = "bad"; return; }
  counterexample = view.counterexample ?? null;
  $("cex").hidden = counterexample === null;
  $("time").textContent = view.time.toFixed(1);
  $("verdict").textContent = view.violation ? "VIOLATION: " + view.violation
    : view.pending.length === 0 ? "the run is over: the invariant holds" : "the invariant holds so far";
  $("verdict").className = view.violation ? "bad" : "ok";
  $("path").replaceChildren(...path.map((c) => { const li = document.createElement("li"); li.textContent = c; return li; }));
  $("pending").replaceChildren(...view.pending.map((p) => {
    const tr = document.createElement("tr");
    tr.append(cell(p.label), cell(p.kind), cell(p.machine), cell(p.t.toFixed(1)));
    const td = document.createElement("td");
    const act = (name, choice) => {
      const b = document.createElement("button");
      b.textContent = name; b.dataset.choice = choice;
      b.onclick = () => { path = [...path, choice]; show(); };
      td.append(b);
    };
    act(p.kind === "arrive" ? "deliver" : "fire", p.label);
    if (p.kind === "arrive") act("drop", "drop " + p.label);
    // The network duplicates a frame once: a copy (label ending in /2) is not duplicated again.
    if (p.kind === "arrive" && !p.label.endsWith("/2") && !path.includes("dup " + p.label)) {
      act("duplicate", "dup " + p.label);
    }
    tr.append(td);
    return tr;
  }));
  $("processes").replaceChildren(...view.processes.map((p) => {
    const tr = document.createElement("tr");
    tr.dataset.address = p.address;
    tr.append(cell(p.address), cell(p.mailbox.join(", ") || "(empty)"), cell(p.log.join(" | ")));
    return tr;
  }));
  document.body.dataset.steps = String(path.length);
}
$("back").onclick = () => { path = path.slice(0, -1); show(); };
$("restart").onclick = () => { path = []; show(); };
$("cex").onclick = () => { path = [...counterexample]; show(); };
show();
</script></body></html>`;
}
