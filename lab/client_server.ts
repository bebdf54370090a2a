/**
 * `deno task lab client-server`: a key-value server on one machine and N clients on others.
 * @module
 */
import type { KvReport } from "../tiers/kv_client.ts";
import {
  COMMON_FLAGS,
  COMMON_HELP,
  intFlag,
  parseCommon,
  parseFlags,
  percentile,
  type Summary,
  table,
} from "./_common.ts";
import { CONTROL_MACHINE, type MachineSpec } from "./deploy.ts";
import { runWorkload } from "./_run.ts";

const USAGE = `Usage: deno task lab client-server [flags]

A key-value server (kv@m1.lab) and N clients (c1@m2.lab, ...) exchange requests and replies.
Each machine is a real OS process over TCP on 127.0.0.1 unless --sim is given.

Flags:
  --clients N           number of clients (default 3)
  --requests N          requests per client (default 10)
  --keys N              distinct keys (default 5)
  --timeout MS          client retransmission timeout (default 500)
${COMMON_HELP}`;

/** Runs the client/server architecture; returns the exit code. */
export async function runClientServer(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    ...COMMON_FLAGS,
    clients: { type: "string" },
    requests: { type: "string" },
    keys: { type: "string" },
    timeout: { type: "string" },
  }, USAGE);
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const common = parseCommon(values, USAGE);
  const clients = intFlag("clients", values.clients, 3, USAGE, 1);
  const requests = intFlag("requests", values.requests, 10, USAGE, 0);
  const keys = intFlag("keys", values.keys, 5, USAGE, 1);
  const timeout = intFlag("timeout", values.timeout, 500, USAGE, 1);
  const collector = `collector@${CONTROL_MACHINE}`;
  const machines: MachineSpec[] = [
    { name: "m1.lab", processes: [{ name: "kv", program: "kv-server" }] },
  ];
  for (let i = 1; i <= clients; i++) {
    machines.push({
      name: `m${i + 1}.lab`,
      processes: [{
        name: `c${i}`,
        program: "kv-client",
        args: { server: "kv@m1.lab", requests, keys, timeout, collector },
      }],
    });
  }
  if (!common.quiet) {
    console.log(
      `client-server: 1 server, ${clients} clients x ${requests} requests, ${
        common.sim ? `simulator (seed ${common.seed})` : "OS processes over TCP on 127.0.0.1"
      }`,
    );
  }
  const outcome = await runWorkload<KvReport>(machines, common, clients);
  const latencies = outcome.reports.flatMap((r) => r.latencies);
  const trace = outcome.trace;
  let messages = 0;
  for (const e of trace.events) {
    if (e.ev === "send" && !e.to?.endsWith(`@${CONTROL_MACHINE}`)) messages++;
  }
  const summary: Summary = {
    architecture: "client-server",
    transport: outcome.transport,
    seed: common.seed,
    requests: clients * requests,
    messages,
    bytes: outcome.stats.bytes,
    latency: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    retransmissions: trace.count("retransmit") + outcome.reports.reduce((n, r) => n + r.retries, 0),
    errors: outcome.reports.reduce((n, r) => n + r.errors, 0),
    traceDigest: trace.digest(),
    frames: outcome.stats.frames,
    acks: outcome.stats.acks,
  };
  if (common.json) {
    console.log(JSON.stringify(summary));
  } else {
    console.log("");
    console.log(table([
      ["architecture", summary.architecture],
      ["transport", summary.transport],
      ["seed", summary.seed],
      ["requests", summary.requests],
      [
        "messages",
        `${summary.messages} (frames on the wire ${summary.frames}, acks ${summary.acks})`,
      ],
      ["bytes", summary.bytes],
      ["latency p50", `${summary.latency.p50.toFixed(3)} ms`],
      ["latency p99", `${summary.latency.p99.toFixed(3)} ms`],
      ["retransmissions", summary.retransmissions],
      ["errors", summary.errors],
      ["trace digest", summary.traceDigest.slice(0, 16)],
      ["wall time", `${outcome.wallMs.toFixed(0)} ms`],
    ]));
    if (common.trace) console.log(`trace written to ${common.trace}`);
  }
  return summary.errors > 0 ? 1 : 0;
}
