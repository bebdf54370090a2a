/**
 * Serves a directory of results folders over HTTP on 127.0.0.1: `/` the index of runs,
 * `/runs.json` the same as data, `/<run>/` a run's files, `/<run>/<file>` one artifact. Only
 * names without a leading dot or a slash are served, so nothing outside the directory is.
 * @module
 */
import { indexPage, listRuns, SAFE } from "./runs_index.ts";

const TYPES: Readonly<Record<string, string>> = {
  html: "text/html; charset=utf-8",
  svg: "image/svg+xml",
  json: "application/json",
  jsonl: "application/x-ndjson",
  shiviz: "text/plain; charset=utf-8",
  mmd: "text/plain; charset=utf-8",
};

/** A running server of results folders. */
export interface RunsServer {
  /** The index's URL. */
  readonly url: string;
  /** Stops serving. */
  close(): Promise<void>;
}

const notFound = (what: string) =>
  new Response(`Not found: ${what}\n`, { status: 404, headers: { "content-type": "text/plain" } });

async function runFolder(dir: string, name: string): Promise<Response> {
  const files: string[] = [];
  try {
    for await (const e of Deno.readDir(`${dir}/${name}`)) if (e.isFile) files.push(e.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return notFound(`no run "${name}"`);
    throw error;
  }
  const links = files.sort().filter((f) => SAFE.test(f)).map((f) =>
    `<li><a href="${f}">${f}</a></li>`
  );
  return new Response(
    `<!doctype html><meta charset="utf-8"><title>${name}</title><h1>${name}</h1>` +
      `<p><a href="../">all runs</a></p><ul>${links.join("")}</ul>\n`,
    { headers: { "content-type": "text/html; charset=utf-8" } },
  );
}

async function artifact(dir: string, name: string, file: string): Promise<Response> {
  try {
    const body = await Deno.readFile(`${dir}/${name}/${file}`);
    const ext = file.slice(file.lastIndexOf(".") + 1);
    return new Response(body, {
      headers: { "content-type": TYPES[ext] ?? "application/octet-stream" },
    });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return notFound(`no file "${name}/${file}"`);
    throw error;
  }
}

/**
 * Serves the results folders of `dir` on 127.0.0.1 (`port` 0: a free one).
 *
 * @example The index over HTTP
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveRuns } from "./serve_runs.ts";
 * const dir = await Deno.makeTempDir();
 * const server = serveRuns(dir);
 * assert.deepEqual(await (await fetch(new URL("runs.json", server.url))).json(), []);
 * assert.equal((await fetch(new URL("../etc/passwd", server.url))).status, 404);
 * await server.close();
 * await Deno.remove(dir);
 * ```
 */
export function serveRuns(dir: string, options: { port?: number } = {}): RunsServer {
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    onListen: () => {},
  }, async (request) => {
    const parts = decodeURIComponent(new URL(request.url).pathname).split("/").filter(Boolean);
    if (parts.length === 0 || (parts.length === 1 && parts[0] === "index.html")) {
      return new Response(indexPage(dir, await listRuns(dir)), {
        headers: { "content-type": "text/html; charset=utf-8" },
      });
    }
    if (parts.length === 1 && parts[0] === "favicon.ico") {
      return new Response(null, { status: 204 });
    }
    if (parts.length === 1 && parts[0] === "runs.json") {
      return Response.json(await listRuns(dir));
    }
    if (parts.length > 2 || !parts.every((p) => SAFE.test(p))) {
      return notFound(`"${parts.join("/")}": give /, /runs.json, /RUN/ or /RUN/FILE`);
    }
    if (parts.length === 1) {
      if (!new URL(request.url).pathname.endsWith("/")) {
        return Response.redirect(new URL(`${parts[0]}/`, request.url), 301);
      }
      return runFolder(dir, parts[0]);
    }
    return artifact(dir, parts[0], parts[1]);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/`,
    close: () => server.shutdown(),
  };
}
