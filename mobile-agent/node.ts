/**
 * A data node of the agent platform: it holds a shard of data, receives agents (checking their
 * signature, asking for the source only when its cache lacks the hash), runs each visit in an
 * executor (the sandbox on a real host, in-process in the simulator), and carries the agent on.
 * It answers the owner's recall and dispose (forwarding them along the agent's trail), custody
 * pings, and the pull baseline's page scans. The node survives whatever an agent does and
 * reports every failure to the agent's owner. It bounds what agents can make it do: a hop past
 * `maxHops` is refused (an agent that hops to its own node forever ends there), and at most
 * `maxSandboxes` visits run at once with `maxWaiting` more queued; an agent beyond that is
 * refused as `busy` (its sender reports it; a queue without bound would let a flood of clones
 * take the node's memory).
 * @module
 */
import type { Envelope } from "../core/envelope.ts";
import type { ProcessContext, ProcessFn } from "../core/process.ts";
import { type AgentPackage, checkPackage, codeHash } from "./agent_package.ts";
import { AGENT_PROCESS, platformOf } from "./_carry.ts";
import { runVisit, type VisitRecord } from "./_visit.ts";
import { CodeCache } from "./code_cache.ts";
import type { Executor } from "./executor.ts";
import { InProcessExecutor } from "./in_process_executor.ts";
import { type AgentMessage, message, type MessageOf, type RejectCode } from "./messages.ts";
import { SandboxExecutor } from "./sandbox.ts";
import { Slots } from "./_slots.ts";
import { Shard, type ShardOptions } from "./shard.ts";
import { verifyPackage } from "./signature.ts";

export { AGENT_PROCESS, platformOf };

/** Options of {@link agentNode}; every field but `executor` is JSON, so it can be program args. */
export interface AgentNodeOptions {
  /** Shared HMAC key that agent packages are signed with. */
  readonly key: string;
  /** The shard this node holds. @default an empty node (no table) */
  readonly shard?: ShardOptions;
  /** Wall-clock ms a visit may take in the sandbox. @default 5000 */
  readonly quantumMs?: number;
  /** Sandbox heap cap in MB. @default 128 */
  readonly heapMb?: number;
  /** MB a visit may use in all beyond an idle sandbox (Linux: kernel-enforced). @default heapMb + 64 */
  readonly memoryMb?: number;
  /** Most hops an agent may have made on arrival; a hop past it is refused. @default 64 */
  readonly maxHops?: number;
  /** Most visits running at once (each its own sandbox child). @default 4 */
  readonly maxSandboxes?: number;
  /** Most visits waiting for a sandbox; an agent beyond that is refused as busy. @default 64 */
  readonly maxWaiting?: number;
  /** Virtual ms a visit costs in the simulator (models the sandbox's start). @default 20 */
  readonly startMs?: number;
  /** Ms to wait for each answer of a handoff. @default 2000 */
  readonly timeoutMs?: number;
  /** Ms to wait for a release before pinging the next node. @default quantumMs + 1000 */
  readonly watchMs?: number;
  /** Ms to wait for a ping's answer before declaring the next node down. @default 1000 */
  readonly pingTimeoutMs?: number;
  /** Characters of source the code cache holds. @default 16 MiB */
  readonly cacheBytes?: number;
  /** Largest source accepted, in characters. @default 1 MiB */
  readonly maxCodeBytes?: number;
  /** Runs the visits. @default the sandbox on a real host, in-process in the simulator */
  readonly executor?: Executor;
}

const BOUND = 10_000;

function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > BOUND) map.delete(map.keys().next().value as K);
}

/**
 * The process of a data node (spawn it as {@link AGENT_PROCESS} so agents can find it).
 *
 * @example An agent visits two nodes in the simulator
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { agentNode, AGENT_PROCESS } from "./node.ts";
 * import { AgentOwner } from "./owner.ts";
 * import { preloadAgent } from "./in_process_executor.ts";
 * const code = "export function onArrival(ctx) { ctx.state.seen.push(ctx.node); }";
 * await preloadAgent(code);
 * const sim = new Simulator({ seed: 1 });
 * for (const m of ["n1.lab", "n2.lab"]) sim.machine(m).spawn(AGENT_PROCESS, agentNode({ key: "k" }));
 * let seen: unknown;
 * sim.machine("ctl.lab").spawn("owner", async (ctx) => {
 *   const owner = new AgentOwner(ctx, { key: "k" });
 *   const id = owner.dispatch({ code, state: { seen: [] }, itinerary: ["n1.lab", "n2.lab"] });
 *   seen = (await owner.wait(id)).result;
 * });
 * await sim.run();
 * assert.deepEqual(seen, { seen: ["n1.lab", "n2.lab"] });
 * ```
 */
export function agentNode(options: AgentNodeOptions): ProcessFn {
  if (typeof options?.key !== "string" || options.key === "") {
    throw new TypeError(
      `Cannot start agent node: key ${JSON.stringify(options?.key)} must be a non-empty string`,
    );
  }
  const quantumMs = options.quantumMs ?? 5000;
  const carryTiming = {
    key: options.key,
    timeoutMs: options.timeoutMs ?? 2000,
    watchMs: options.watchMs ?? quantumMs + 1000,
    pingTimeoutMs: options.pingTimeoutMs ?? 1000,
  };
  const maxCode = options.maxCodeBytes ?? 1024 * 1024;
  const maxHops = options.maxHops ?? 64;
  if (!Number.isInteger(maxHops) || maxHops < 1) {
    throw new RangeError(`Cannot start agent node: maxHops ${maxHops} must be an integer >= 1`);
  }
  return async (ctx: ProcessContext) => {
    const executor = options.executor ??
      (ctx.runtime === "sim"
        ? new InProcessExecutor()
        : new SandboxExecutor({ quantumMs, heapMb: options.heapMb, memoryMb: options.memoryMb }));
    const slots = new Slots(options.maxSandboxes ?? 4, options.maxWaiting ?? 64);
    if (executor instanceof SandboxExecutor) {
      // Measured before the first agent comes, so its hop does not pay for it. A failure is
      // logged here and met again, with its reason, by every visit (each one retries).
      await executor.prepare({ heapMb: options.heapMb }).catch((error) =>
        ctx.log(`cannot prepare the sandbox: ${error}`)
      );
    }
    const shard = options.shard ? new Shard(options.shard) : undefined;
    const cache = new CodeCache(options.cacheBytes);
    const visits = new Map<string, VisitRecord>();
    const seen = new Map<string, number>();
    const trail = new Map<string, string>();
    const finished = new Map<string, true>();
    const early = new Map<string, "recall" | "dispose">();
    const waiting = new Map<string, { pkg: AgentPackage; from: string }>();
    let spawned = 0;

    const query = (q: Parameters<Shard["query"]>[0]) => {
      if (shard === undefined) {
        throw new TypeError(`Cannot query: node ${ctx.machine} holds no data`);
      }
      return shard.query(q);
    };

    const busy = () =>
      `node ${ctx.machine} is busy: ${slots.running} visits run and ${slots.waiting} wait, its limit; try later or elsewhere`;

    /** Starts the visit, or says why it cannot (no sandbox free and no room to wait). */
    const start = (pkg: AgentPackage, custodian: string): string | undefined => {
      const slot = slots.enter();
      if (slot === undefined) return busy();
      const record: VisitRecord = {
        hop: pkg.hop,
        abort: new AbortController(),
        phase: "running",
        forward: [],
      };
      record.control = early.get(pkg.id);
      early.delete(pkg.id);
      visits.set(pkg.id, record);
      remember(seen, pkg.id, pkg.hop);
      const source = cache.get(pkg.codeHash)!;
      const end = () => {
        visits.delete(pkg.id);
        remember(finished, pkg.id, true);
      };
      ctx.spawn(`v${++spawned}`, (vctx) =>
        runVisit(vctx, {
          pkg,
          custodian,
          record,
          slot,
          source,
          executor,
          query,
          limits: {
            quantumMs,
            heapMb: options.heapMb,
            memoryMb: options.memoryMb,
            startMs: options.startMs ?? 20,
          },
          carry: carryTiming,
          spawn: (fn) => void ctx.spawn(`c${++spawned}`, fn),
          end,
          left: (dest) => {
            visits.delete(pkg.id);
            remember(trail, pkg.id, dest);
          },
        }));
      return undefined;
    };

    const onOffer = (env: Envelope, body: MessageOf<"agent-offer">) => {
      const id = typeof body.id === "string" ? body.id : "?";
      const hop = typeof body.hop === "number" ? body.hop : -1;
      const reject = (reason: string, code?: RejectCode) => {
        ctx.log(`rejected agent ${id}: ${reason}`);
        return ctx.reply(
          env,
          message("agent-rejected", {
            id,
            hop,
            reason: `Cannot accept agent ${JSON.stringify(id)}: ${reason}`,
            ...(code ? { code } : {}),
          }),
        );
      };
      const problem = checkPackage(body.pkg);
      if (problem !== undefined) return reject(`malformed package: ${problem}`);
      const pkg = body.pkg;
      const refused = verifyPackage({ pkg, sig: body.sig }, options.key);
      if (refused !== undefined) return reject(refused);
      if ((seen.get(pkg.id) ?? -1) >= pkg.hop) {
        return ctx.reply(
          env,
          message("agent-accepted", { id: pkg.id, hop: pkg.hop, cached: true }),
        );
      }
      if (pkg.hop > maxHops) {
        return reject(
          `it would make hop ${pkg.hop}, past this node's limit of ${maxHops} hops`,
          "hop-limit",
        );
      }
      // Refused before its source is asked for, when it could not run anyway.
      if (slots.full) return reject(busy(), "busy");
      if (cache.has(pkg.codeHash)) {
        const refusal = start(pkg, env.from);
        if (refusal !== undefined) return reject(refusal, "busy");
        return ctx.reply(
          env,
          message("agent-accepted", { id: pkg.id, hop: pkg.hop, cached: true }),
        );
      }
      remember(waiting, `${pkg.id}#${pkg.hop}`, { pkg, from: env.from });
      return ctx.reply(
        env,
        message("agent-need-code", { id: pkg.id, hop: pkg.hop, codeHash: pkg.codeHash }),
      );
    };

    const onCode = (env: Envelope, body: MessageOf<"agent-code">) => {
      const key = `${body.id}#${body.hop}`;
      const entry = waiting.get(key);
      const reject = (reason: string, code?: RejectCode) => {
        ctx.log(`rejected code of agent ${body.id}: ${reason}`);
        return ctx.reply(
          env,
          message("agent-rejected", {
            id: String(body.id),
            hop: Number(body.hop),
            reason: `Cannot accept agent ${JSON.stringify(body.id)}: ${reason}`,
            ...(code ? { code } : {}),
          }),
        );
      };
      if (entry === undefined) {
        return reject("no offer is waiting for this source; offer the package first");
      }
      waiting.delete(key);
      const code = body.source?.code;
      if (typeof code !== "string") return reject("the source is not a string");
      if (code.length > maxCode) {
        return reject(`the source has ${code.length} characters, more than ${maxCode}`);
      }
      const hash = codeHash(code);
      if (hash !== entry.pkg.codeHash) {
        return reject(
          `the source does not match its SHA-256 (got ${hash.slice(0, 12)}…, signed ${
            entry.pkg.codeHash.slice(0, 12)
          }…): it was altered`,
        );
      }
      cache.put(hash, { code, lang: entry.pkg.lang });
      const refusal = start(entry.pkg, entry.from);
      if (refusal !== undefined) return reject(refusal, "busy");
      return ctx.reply(
        env,
        message("agent-accepted", { id: entry.pkg.id, hop: entry.pkg.hop, cached: false }),
      );
    };

    const onControl = (body: MessageOf<"agent-recall"> | MessageOf<"agent-dispose">) => {
      const kind = body.kind === "agent-dispose" ? "dispose" : "recall";
      const record = visits.get(body.id);
      if (record !== undefined) {
        if (record.phase === "leaving") record.forward.push(body);
        else if (record.control !== "dispose") {
          record.control = kind;
          if (kind === "dispose") record.abort.abort();
        }
        return;
      }
      const next = trail.get(body.id);
      if (next !== undefined) void ctx.send(platformOf(next), body);
      else if (!finished.has(body.id)) remember(early, body.id, kind);
    };

    for (;;) {
      const env = await ctx.receive<AgentMessage>();
      const body = env.body;
      switch (body?.kind) {
        case "agent-offer":
          await onOffer(env, body);
          break;
        case "agent-code":
          await onCode(env, body);
          break;
        case "agent-status": {
          const status = visits.has(body.id)
            ? "running"
            : trail.has(body.id)
            ? "gone"
            : finished.has(body.id)
            ? "finished"
            : "unknown";
          await ctx.reply(env, message("agent-status-reply", { id: body.id, status }));
          break;
        }
        case "agent-recall":
        case "agent-dispose":
          onControl(body);
          break;
        case "scan": {
          const limit = Math.min(Math.max(0, Number(body.limit) || 0), 100_000);
          const offset = Math.max(0, Number(body.offset) || 0);
          const rows = shard ? shard.scan(offset, limit) : [];
          const end = offset + rows.length;
          const next = shard && end < shard.size && rows.length > 0 ? end : null;
          await ctx.reply(env, message("rows", { rows, next }));
          break;
        }
        default:
          ctx.log(`ignored message of kind ${JSON.stringify(env.kind)} from ${env.from}`);
          if (env.corr !== undefined) {
            await ctx.reply(
              env,
              message("agent-rejected", {
                id: "?",
                hop: -1,
                reason: `Cannot handle message kind ${JSON.stringify(env.kind)}`,
              }),
            );
          }
      }
    }
  };
}
