/**
 * The index of results folders that `lab serve` shows: each folder under a directory with its
 * `run.json` (or at least a `summary.json`), newest first, as data and as a self-contained HTML
 * page with links to every artifact.
 * @module
 */
import type { RunInfo } from "./write.ts";

/** One results folder as the index lists it. */
export interface RunEntry {
  /** The folder's name. */
  readonly name: string;
  /** What its `run.json` says (fields missing from an older folder are `null`). */
  readonly architecture: string;
  /** The seed, when known. */
  readonly seed: number | null;
  /** The flags of the run. */
  readonly flags: string;
  /** `ok`, `errors`, `failed`, `interrupted`, or `unknown`. */
  readonly verdict: string;
  /** When it started, ISO 8601, or `""`. */
  readonly startedAt: string;
  /** Its files. */
  readonly files: readonly string[];
  /** Whether `latest` points at it. */
  readonly latest: boolean;
}

/** A folder or file name that cannot leave its folder: no leading dot, no slash. */
export const SAFE: RegExp = /^[\w-][\w.-]*$/;

/**
 * Lists the results folders of `dir`, newest first. A folder without `run.json` or
 * `summary.json` is no run and is skipped; `latest` is a link, not a run.
 *
 * @example Two runs
 * ```ts
 * import assert from "node:assert/strict";
 * import { listRuns } from "./runs_index.ts";
 * const dir = await Deno.makeTempDir();
 * for (const [name, at] of [["a-1", "2026-01-01T00:00:00Z"], ["b-2", "2026-01-02T00:00:00Z"]]) {
 *   await Deno.mkdir(`${dir}/${name}`);
 *   await Deno.writeTextFile(`${dir}/${name}/run.json`, JSON.stringify({ startedAt: at, files: [] }));
 * }
 * assert.deepEqual((await listRuns(dir)).map((r) => r.name), ["b-2", "a-1"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function listRuns(dir: string): Promise<RunEntry[]> {
  let latest: string | undefined;
  try {
    latest = await Deno.readLink(`${dir}/latest`);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound) && !(error instanceof Deno.errors.InvalidData)) {
      throw error;
    }
  }
  const runs: RunEntry[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isDirectory || !SAFE.test(entry.name)) continue;
    const info = await readInfo(`${dir}/${entry.name}`);
    if (info === undefined) continue;
    runs.push({
      name: entry.name,
      architecture: String(info.architecture ?? info.command ?? "?"),
      seed: typeof info.seed === "number" ? info.seed : null,
      flags: Array.isArray(info.args) ? info.args.join(" ") : "",
      verdict: String(info.verdict ?? "unknown"),
      startedAt: String(info.startedAt ?? ""),
      files: Array.isArray(info.files) ? info.files.filter((f) => SAFE.test(String(f))) : [],
      latest: latest === entry.name,
    });
  }
  return runs.sort((a, b) =>
    b.startedAt.localeCompare(a.startedAt) || b.name.localeCompare(a.name)
  );
}

async function readInfo(folder: string): Promise<Partial<RunInfo> | undefined> {
  for (const file of ["run.json", "summary.json"]) {
    let text: string;
    try {
      text = await Deno.readTextFile(`${folder}/${file}`);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
    const info = JSON.parse(text) as Partial<RunInfo>;
    if (file === "summary.json") {
      const files: string[] = [];
      for await (const e of Deno.readDir(folder)) if (e.isFile) files.push(e.name);
      return { ...info, files: files.sort() };
    }
    return info;
  }
  return undefined;
}

const esc = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/**
 * The index page of `runs`: a table with architecture, seed, flags, verdict, time and links.
 *
 * @example A row per run, relative links only
 * ```ts
 * import assert from "node:assert/strict";
 * import { indexPage } from "./runs_index.ts";
 * const html = indexPage("runs", [{
 *   name: "p2p-1-x", architecture: "p2p", seed: 1, flags: "--sim", verdict: "ok",
 *   startedAt: "2026-12-05T05:00:00.000Z", files: ["diagram.html"], latest: true,
 * }]);
 * assert.match(html, /<td>p2p<\/td>/);
 * assert.match(html, /href="p2p-1-x\/diagram.html"/);
 * ```
 */
export function indexPage(dir: string, runs: readonly RunEntry[]): string {
  const rows = runs.map((r) =>
    `<tr class="run verdict-${esc(r.verdict)}"><td><a href="${esc(r.name)}/">${esc(r.name)}</a>${
      r.latest ? " <small>(latest)</small>" : ""
    }</td><td>${esc(r.architecture)}</td><td>${r.seed ?? ""}</td><td><code>${
      esc(r.flags)
    }</code></td><td class="verdict">${esc(r.verdict)}</td><td>${
      esc(r.startedAt.replace("T", " ").replace(/\.\d+Z$/, "Z"))
    }</td><td>${
      r.files.map((f) => `<a href="${esc(r.name)}/${esc(f)}">${esc(f)}</a>`).join(" ")
    }</td></tr>`
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>archlab runs: ${esc(dir)}</title>
<style>body{font:14px system-ui,sans-serif;margin:16px}table{border-collapse:collapse}
td,th{border-bottom:1px solid #e2e8f0;padding:4px 8px;text-align:left;vertical-align:top}
.verdict-ok .verdict{color:#2f855a}.verdict-errors .verdict,.verdict-failed .verdict{color:#c53030}
code{font-size:12px}</style></head>
<body><h1>archlab runs in ${esc(dir)}</h1>
<p>${runs.length} runs, newest first; each folder holds what <code>--out</code> wrote.</p>
<table id="runs"><thead><tr><th>run</th><th>architecture</th><th>seed</th><th>flags</th>
<th>verdict</th><th>time (UTC)</th><th>artifacts</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody></table></body></html>
`;
}
