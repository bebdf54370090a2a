/**
 * The live view of a run (`--live`): the lab process serves, on 127.0.0.1, the diagram page with
 * no events and a script that takes them from `/events`, a server-sent-event stream: every event
 * so far in batches (a browser that connects late catches up), then each new batch as the run
 * makes it, then the summary and the verdict when the run ends. Works for the simulator and for
 * real OS processes alike: it listens to the deployment's trace.
 * @module
 */
import { canonicalLine, type TraceEvent } from "../../core/trace.ts";
import { toHtml } from "../diagram/html.ts";
import type { LiveSink, RunSession } from "./session.ts";

/** Events per server-sent event, at most. */
const BATCH = 2000;
/** How often new events go out to the browsers, ms. */
const FLUSH_MS = 50;

interface Client {
  readonly controller: ReadableStreamDefaultController<Uint8Array>;
  sent: number;
  summarySent: boolean;
}

const encoder = new TextEncoder();

/** The script that feeds the viewer from `/events` and shows the summary at the end. */
function liveScript(): string {
  return `
(() => {
  const root = document.documentElement;
  const status = document.getElementById("live-status");
  const table = document.getElementById("live-summary");
  let n = 0, fitted = false;
  const source = new EventSource("events");
  source.addEventListener("events", (m) => {
    const lines = JSON.parse(m.data);
    globalThis.archlabDiagram.append(lines.map((l) => JSON.parse(l)));
    n += lines.length;
    if (!fitted || n < 5000) { globalThis.archlabDiagram.fit(); fitted = true; }
    root.dataset.liveEvents = String(n);
    status.textContent = "live: " + n + " events so far";
  });
  source.addEventListener("summary", (m) => {
    const { summary, verdict, events } = JSON.parse(m.data);
    globalThis.archlabDiagram.fit();
    status.textContent = "run over: " + verdict + ", " + events + " events";
    const rows = Object.entries(summary ?? {}).map(([k, v]) =>
      "<tr><th>" + esc(k) + "</th><td>" + esc(typeof v === "object" ? JSON.stringify(v) : String(v)) + "</td></tr>");
    table.innerHTML = "<caption>summary (verdict " + esc(verdict) + ")</caption>" + rows.join("");
    root.dataset.liveVerdict = verdict;
    source.close();
  });
  function esc(s) { return s.replace(/&/g, "&amp;").replace(/</g, "&lt;"); }
})();`;
}

const LIVE_CSS = `#live-bar{position:fixed;right:8px;bottom:8px;z-index:10;background:#fff;` +
  `border:1px solid #cbd5e0;padding:6px 10px;font:12px sans-serif;max-height:45vh;overflow:auto}` +
  `#live-summary th{text-align:left;padding-right:12px;font-weight:600}#live-summary caption{` +
  `text-align:left;font-weight:700}`;

/**
 * The live page: the diagram viewer with no events yet, a status line, an empty summary table
 * and the script that fills them.
 *
 * @example A page that listens to /events
 * ```ts
 * import assert from "node:assert/strict";
 * import { livePage } from "./live.ts";
 * const html = livePage("deno task lab p2p --live", "virtual");
 * assert.match(html, /new EventSource\("events"\)/);
 * assert.match(html, /id="live-summary"/);
 * ```
 */
export function livePage(title: string, clock: "virtual" | "wall"): string {
  const page = toHtml([], { title, clock });
  const bar = `<style>${LIVE_CSS}</style><div id="live-bar"><div id="live-status">` +
    `live: waiting for events</div><table id="live-summary"></table></div>`;
  const at = page.lastIndexOf("</body>");
  return page.slice(0, at) + bar + `<script>${liveScript()}</script>` + page.slice(at);
}

/**
 * Starts the live view of `session` (once) and says where it is on stderr; returns it.
 *
 * @example Started once
 * ```ts
 * import assert from "node:assert/strict";
 * import { startLive } from "./live.ts";
 * const session = { command: "p2p", args: [], startedAt: new Date() };
 * const error = console.error;
 * console.error = () => {};
 * try {
 *   const live = startLive(session, "virtual");
 *   assert.equal(startLive(session, "virtual"), live);
 *   assert.match(live.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
 *   await live.close();
 * } finally {
 *   console.error = error;
 * }
 * ```
 */
export function startLive(session: RunSession, clock: "virtual" | "wall"): LiveSink {
  if (session.live !== undefined) return session.live;
  const title = `deno task lab ${[session.command, ...session.args].join(" ")}`;
  const live = serveLive({ title, clock });
  session.live = live;
  console.error(`archlab: live view at ${live.url} (events stream there as the run makes them)`);
  return live;
}

/**
 * Serves the live view of a run on 127.0.0.1 (`port` 0: a free one). Only the first deployment
 * of the run is shown (a command that compares runs streams its first one).
 *
 * @example A browser's stream gets the events and the summary
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveLive } from "./live.ts";
 * const live = serveLive({ title: "t", clock: "virtual" });
 * live.reset();
 * live.event({ t: 0, ev: "spawn", at: "a@m1.lab" });
 * live.finish({ architecture: "demo" }, "ok");
 * const text = await (await fetch(new URL("events", live.url))).text();
 * assert.match(text, /event: events\ndata: \["\{\\"t\\":0/);
 * assert.match(text, /event: summary\ndata: \{"summary":\{"architecture":"demo"\}/);
 * await live.close();
 * ```
 */
export function serveLive(
  options: { title: string; clock: "virtual" | "wall"; port?: number },
): LiveSink {
  const lines: string[] = [];
  const clients = new Set<Client>();
  let deployments = 0;
  let final: string | undefined;
  const page = livePage(options.title, options.clock);
  const flush = () => {
    for (const client of clients) {
      try {
        if (sendPending(client, lines, final)) clients.delete(client);
      } catch (error) {
        if (!(error instanceof TypeError)) throw error; // TypeError: the browser went away.
        clients.delete(client);
      }
    }
  };
  const timer = setInterval(flush, FLUSH_MS);
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    onListen: () => {},
  }, (request) => answerLive(request, page, clients, flush));
  const url = `http://127.0.0.1:${server.addr.port}/`;
  return {
    url,
    reset() {
      deployments++;
    },
    event(event: TraceEvent) {
      if (deployments <= 1 && final === undefined) lines.push(canonicalLine(event));
    },
    finish(summary, verdict) {
      final = JSON.stringify({ summary: summary ?? null, verdict, events: lines.length })
        .replace(/\n/g, " ");
      flush();
    },
    async close() {
      clearInterval(timer);
      for (const client of clients) {
        try {
          client.controller.close();
        } catch (error) {
          if (!(error instanceof TypeError)) throw error;
        }
      }
      clients.clear();
      await server.shutdown();
    },
  };
}

/**
 * Sends `client` the event lines it has not had, in batches, then the summary once there is one;
 * true when the stream is over (closed after the summary).
 */
function sendPending(client: Client, lines: readonly string[], final: string | undefined): boolean {
  while (client.sent < lines.length) {
    const batch = lines.slice(client.sent, client.sent + BATCH);
    client.controller.enqueue(
      encoder.encode(`event: events\ndata: ${JSON.stringify(batch)}\n\n`),
    );
    client.sent += batch.length;
  }
  if (final === undefined || client.summarySent) return false;
  client.controller.enqueue(encoder.encode(`event: summary\ndata: ${final}\n\n`));
  client.summarySent = true;
  client.controller.close();
  return true;
}

/** Answers the live view's requests: the page, and `/events` as a stream for a new client. */
function answerLive(
  request: Request,
  page: string,
  clients: Set<Client>,
  flush: () => void,
): Response {
  const path = new URL(request.url).pathname;
  if (path === "/" || path === "/index.html") {
    return new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } });
  }
  if (path === "/favicon.ico") return new Response(null, { status: 204 });
  if (path === "/events") {
    let client: Client;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        client = { controller, sent: 0, summarySent: false };
        clients.add(client);
        flush();
      },
      cancel() {
        clients.delete(client);
      },
    });
    return new Response(body, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-store" },
    });
  }
  return new Response("Not found: the live view serves / and /events\n", { status: 404 });
}
