/**
 * The HTTP caching conformance suite (tests/testdata/http_cache, modelled on http-tests/cache-tests)
 * against archlab's proxy, Varnish and nginx on the same machine, each with its stock settings,
 * on real time (pauses are really waited for, so a run takes a minute or so). A script, not a test:
 *
 *   deno run -A bench/proxy_conformance.ts [--json]
 *
 * archlab: `createHttpProxy` with its defaults behind its own listener. Varnish: `varnishd -b`
 * with the built-in VCL (Debian package `varnish`). nginx: the smallest caching configuration
 * (`proxy_cache_path` + `proxy_cache`, nothing else; Debian package `nginx`). A cache that is not
 * installed is reported as skipped. Each cache stands in front of two real origins on 127.0.0.1
 * (`Deno.serve`, and a raw-socket one for 1xx, odd statuses and dropped connections), so Varnish
 * and nginx run twice. Prints passes and failures by kind, and the failing required cases.
 * @module
 */
import { wallClock } from "../core/real_runtime.ts";
import { createHttpProxy } from "../proxy/http_proxy.ts";
import { serveHttpProxy } from "../proxy/http_serve.ts";
import {
  type CaseResult,
  loadSuite,
  runCase,
  serveOrigin,
  tally,
  wireOrigin,
} from "../tests/_http_cache_suite.ts";

interface Instance {
  readonly port: number;
  stop(): Promise<void>;
}

type Starter = (originPort: number) => Promise<Instance | undefined>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function freePort(): number {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  return port;
}

async function which(name: string): Promise<string | undefined> {
  const out = await new Deno.Command("sh", {
    args: ["-c", `command -v ${name} || ls /usr/sbin/${name} 2>/dev/null`],
    stdout: "piped",
    stderr: "null",
  }).output();
  const path = new TextDecoder().decode(out.stdout).trim().split("\n")[0];
  return path === "" ? undefined : path;
}

/** Waits (bounded) until something accepts connections on `port`. */
async function listening(port: number): Promise<boolean> {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return true;
    } catch (error) {
      if (!(error instanceof Deno.errors.ConnectionRefused)) throw error;
      await sleep(100);
    }
  }
  return false;
}

const archlab: Starter = (originPort) => {
  const proxy = createHttpProxy(`http://127.0.0.1:${originPort}`, { now: wallClock });
  const server = serveHttpProxy(proxy);
  return Promise.resolve({ port: server.addr.port, stop: () => server.shutdown() });
};

const varnish: Starter = async (originPort) => {
  const path = await which("varnishd");
  if (path === undefined) return undefined;
  const port = freePort();
  const workdir = await Deno.makeTempDir({ prefix: "archlab-varnish-" });
  await Deno.chmod(workdir, 0o755);
  const child = new Deno.Command(path, {
    args: [
      "-F",
      "-n",
      `${workdir}/instance`,
      "-a",
      `127.0.0.1:${port}`,
      "-b",
      `127.0.0.1:${originPort}`,
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const stop = async () => {
    child.kill("SIGTERM");
    await child.status;
    await Deno.remove(workdir, { recursive: true });
  };
  if (!await listening(port)) {
    await stop();
    return undefined;
  }
  return { port, stop };
};

const nginx: Starter = async (originPort) => {
  const path = await which("nginx");
  if (path === undefined) return undefined;
  const port = freePort();
  const prefix = await Deno.makeTempDir({ prefix: "archlab-nginx-" });
  await Deno.chmod(prefix, 0o777);
  await Deno.writeTextFile(
    `${prefix}/nginx.conf`,
    `daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  proxy_cache_path ${prefix}/cache keys_zone=cache:10m;
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://127.0.0.1:${originPort};
      proxy_cache cache;
    }
  }
}
`,
  );
  const child = new Deno.Command(path, {
    args: ["-p", prefix, "-c", `${prefix}/nginx.conf`],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const stop = async () => {
    child.kill("SIGTERM");
    await child.status;
    await Deno.remove(prefix, { recursive: true });
  };
  if (!await listening(port)) {
    await stop();
    return undefined;
  }
  return { port, stop };
};

const CACHES: [string, Starter][] = [
  ["archlab", archlab],
  ["Varnish (stock)", varnish],
  ["nginx (proxy_cache)", nginx],
];

const cases = await loadSuite();
const serve = serveOrigin();
const wire = wireOrigin();
const report: { cache: string; results?: CaseResult[] }[] = [];
const run = Math.floor(performance.now()).toString(36);
for (const [name, start] of CACHES) {
  const viaServe = await start(serve.addr.port);
  const viaWire = viaServe === undefined ? undefined : await start(wire.port);
  if (viaServe === undefined || viaWire === undefined) {
    await viaServe?.stop();
    report.push({ cache: name });
    continue;
  }
  const results: CaseResult[] = [];
  const prefix = `${name.split(" ")[0].toLowerCase()}-${run}-`;
  // Cases use their own URLs, so they run side by side; 32 at a time keeps the load modest.
  for (let at = 0; at < cases.length; at += 32) {
    results.push(
      ...await Promise.all(
        cases.slice(at, at + 32).map((testCase) =>
          runCase(testCase, {
            port: testCase.origin === "wire" ? viaWire.port : viaServe.port,
            now: () => Date.now(),
            pause: (seconds) => sleep(seconds * 1000),
          }, prefix)
        ),
      ),
    );
  }
  await viaServe.stop();
  await viaWire.stop();
  report.push({ cache: name, results });
}
await serve.shutdown();
wire.close();

if (Deno.args.includes("--json")) {
  console.log(JSON.stringify(report.map(({ cache, results }) => ({
    cache,
    ...(results === undefined ? { skipped: true } : tally(results)),
    failures: results?.filter((r) => !r.pass).map((r) => `${r.kind} ${r.id}: ${r.message}`),
  }))));
} else {
  console.log(`${cases.length} cases\n`);
  console.log("| cache | required pass / fail | optional pass / fail | check pass / fail |");
  console.log("| --- | --- | --- | --- |");
  for (const { cache, results } of report) {
    if (results === undefined) {
      console.log(`| ${cache} | not installed: skipped | | |`);
      continue;
    }
    const t = tally(results);
    console.log(
      `| ${cache} | ${t.required.pass} / ${t.required.fail} | ${t.optional.pass} / ${t.optional.fail} | ${t.check.pass} / ${t.check.fail} |`,
    );
  }
  for (const { cache, results } of report) {
    const failed = (results ?? []).filter((r) => !r.pass && r.kind !== "check");
    if (failed.length === 0) continue;
    console.log(`\n${cache}: failed`);
    for (const r of failed) console.log(`  ${r.kind} ${r.id}: ${r.message}`);
  }
}
