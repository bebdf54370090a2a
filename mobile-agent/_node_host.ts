/**
 * A data node's state and its answers to each message: the visits it hosts, the trail agents
 * left by, the sources waiting for their code, and the bounds it keeps.
 * @module
 */
import type { Envelope } from "../core/envelope.ts";
import type { ProcessContext } from "../core/process.ts";
import { type AgentPackage, checkPackage, codeHash } from "./agent_package.ts";
import type { CarryOptions } from "./_carry.ts";
import { platformOf } from "./_carry.ts";
import { runVisit, type VisitLimits, type VisitRecord } from "./_visit.ts";
import { CodeCache } from "./code_cache.ts";
import type { Executor } from "./executor.ts";
import { type AgentMessage, message, type MessageOf, type RejectCode } from "./messages.ts";
import { Slots } from "./_slots.ts";
import { Shard, type ShardOptions } from "./shard.ts";
import { verifyPackage } from "./signature.ts";

const BOUND = 10_000;

function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > BOUND) map.delete(map.keys().next().value as K);
}

/** A node's settings, resolved from its options. */
export interface NodeSettings {
  /** Shared HMAC key that agent packages are signed with. */
  readonly key: string;
  /** The shard this node holds, if any. */
  readonly shard?: ShardOptions;
  /** Sandbox limits, and the virtual cost of a visit in the simulator. */
  readonly limits: VisitLimits;
  /** Keys and timing of carrying an agent on. */
  readonly carry: Omit<CarryOptions, "source" | "release" | "onHandoff">;
  /** Largest source accepted, in characters. */
  readonly maxCode: number;
  /** Most hops an agent may have made on arrival. */
  readonly maxHops: number;
  /** Most visits running at once. */
  readonly maxSandboxes: number;
  /** Most visits waiting for a sandbox. */
  readonly maxWaiting: number;
  /** Characters of source the code cache holds. */
  readonly cacheBytes?: number;
}

/** A running data node: its state and a handler per message kind. */
export class NodeHost {
  readonly #ctx: ProcessContext;
  readonly #settings: NodeSettings;
  readonly #executor: Executor;
  readonly #slots: Slots;
  readonly #shard: Shard | undefined;
  readonly #cache: CodeCache;
  readonly #visits = new Map<string, VisitRecord>();
  readonly #seen = new Map<string, number>();
  readonly #trail = new Map<string, string>();
  readonly #finished = new Map<string, true>();
  readonly #early = new Map<string, "recall" | "dispose">();
  readonly #waiting = new Map<string, { pkg: AgentPackage; from: string }>();
  #spawned = 0;

  constructor(ctx: ProcessContext, settings: NodeSettings, executor: Executor) {
    this.#ctx = ctx;
    this.#settings = settings;
    this.#executor = executor;
    this.#slots = new Slots(settings.maxSandboxes, settings.maxWaiting);
    this.#shard = settings.shard ? new Shard(settings.shard) : undefined;
    this.#cache = new CodeCache(settings.cacheBytes);
  }

  /** Answers one message. */
  async handle(env: Envelope<AgentMessage>): Promise<void> {
    const body = env.body;
    switch (body?.kind) {
      case "agent-offer":
        return await this.#onOffer(env, body);
      case "agent-code":
        return await this.#onCode(env, body);
      case "agent-status":
        return await this.#ctx.reply(
          env,
          message("agent-status-reply", { id: body.id, status: this.#status(body.id) }),
        );
      case "agent-recall":
      case "agent-dispose":
        return this.#onControl(body);
      case "scan":
        return await this.#onScan(env, body);
      default:
        return await this.#onUnknown(env);
    }
  }

  #status(id: string): "running" | "gone" | "finished" | "unknown" {
    if (this.#visits.has(id)) return "running";
    if (this.#trail.has(id)) return "gone";
    return this.#finished.has(id) ? "finished" : "unknown";
  }

  #query = (q: Parameters<Shard["query"]>[0]) => {
    if (this.#shard === undefined) {
      throw new TypeError(`Cannot query: node ${this.#ctx.machine} holds no data`);
    }
    return this.#shard.query(q);
  };

  #busy(): string {
    const slots = this.#slots;
    return `node ${this.#ctx.machine} is busy: ${slots.running} visits run and ${slots.waiting} wait, its limit; try later or elsewhere`;
  }

  /** Starts the visit, or says why it cannot (no sandbox free and no room to wait). */
  #start(pkg: AgentPackage, custodian: string): string | undefined {
    const slot = this.#slots.enter();
    if (slot === undefined) return this.#busy();
    const record: VisitRecord = {
      hop: pkg.hop,
      abort: new AbortController(),
      phase: "running",
      forward: [],
    };
    record.control = this.#early.get(pkg.id);
    this.#early.delete(pkg.id);
    this.#visits.set(pkg.id, record);
    remember(this.#seen, pkg.id, pkg.hop);
    const source = this.#cache.get(pkg.codeHash)!;
    const ctx = this.#ctx;
    ctx.spawn(`v${++this.#spawned}`, (vctx) =>
      runVisit(vctx, {
        pkg,
        custodian,
        record,
        slot,
        source,
        executor: this.#executor,
        query: this.#query,
        limits: this.#settings.limits,
        carry: this.#settings.carry,
        spawn: (fn) => void ctx.spawn(`c${++this.#spawned}`, fn),
        end: () => {
          this.#visits.delete(pkg.id);
          remember(this.#finished, pkg.id, true);
        },
        left: (dest) => {
          this.#visits.delete(pkg.id);
          remember(this.#trail, pkg.id, dest);
        },
      }));
    return undefined;
  }

  #reject(env: Envelope, id: string, hop: number, reason: string, code?: RejectCode) {
    return this.#ctx.reply(
      env,
      message("agent-rejected", {
        id,
        hop,
        reason: `Cannot accept agent ${JSON.stringify(id)}: ${reason}`,
        ...(code ? { code } : {}),
      }),
    );
  }

  #onOffer(env: Envelope, body: MessageOf<"agent-offer">): Promise<void> {
    const id = typeof body.id === "string" ? body.id : "?";
    const hop = typeof body.hop === "number" ? body.hop : -1;
    const reject = (reason: string, code?: RejectCode) => {
      this.#ctx.log(`rejected agent ${id}: ${reason}`);
      return this.#reject(env, id, hop, reason, code);
    };
    const problem = checkPackage(body.pkg);
    if (problem !== undefined) return reject(`malformed package: ${problem}`);
    const pkg = body.pkg;
    const refused = verifyPackage({ pkg, sig: body.sig }, this.#settings.key);
    if (refused !== undefined) return reject(refused);
    const accepted = (cached: boolean) =>
      this.#ctx.reply(env, message("agent-accepted", { id: pkg.id, hop: pkg.hop, cached }));
    if ((this.#seen.get(pkg.id) ?? -1) >= pkg.hop) return accepted(true);
    const maxHops = this.#settings.maxHops;
    if (pkg.hop > maxHops) {
      return reject(
        `it would make hop ${pkg.hop}, past this node's limit of ${maxHops} hops`,
        "hop-limit",
      );
    }
    // Refused before its source is asked for, when it could not run anyway.
    if (this.#slots.full) return reject(this.#busy(), "busy");
    if (this.#cache.has(pkg.codeHash)) {
      const refusal = this.#start(pkg, env.from);
      if (refusal !== undefined) return reject(refusal, "busy");
      return accepted(true);
    }
    remember(this.#waiting, `${pkg.id}#${pkg.hop}`, { pkg, from: env.from });
    return this.#ctx.reply(
      env,
      message("agent-need-code", { id: pkg.id, hop: pkg.hop, codeHash: pkg.codeHash }),
    );
  }

  #onCode(env: Envelope, body: MessageOf<"agent-code">): Promise<void> {
    const key = `${body.id}#${body.hop}`;
    const entry = this.#waiting.get(key);
    const reject = (reason: string, code?: RejectCode) => {
      this.#ctx.log(`rejected code of agent ${body.id}: ${reason}`);
      return this.#reject(env, String(body.id), Number(body.hop), reason, code);
    };
    if (entry === undefined) {
      return reject("no offer is waiting for this source; offer the package first");
    }
    this.#waiting.delete(key);
    const code = body.source?.code;
    if (typeof code !== "string") return reject("the source is not a string");
    const maxCode = this.#settings.maxCode;
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
    this.#cache.put(hash, { code, lang: entry.pkg.lang });
    const refusal = this.#start(entry.pkg, entry.from);
    if (refusal !== undefined) return reject(refusal, "busy");
    return this.#ctx.reply(
      env,
      message("agent-accepted", { id: entry.pkg.id, hop: entry.pkg.hop, cached: false }),
    );
  }

  #onControl(body: MessageOf<"agent-recall"> | MessageOf<"agent-dispose">): void {
    const kind = body.kind === "agent-dispose" ? "dispose" : "recall";
    const record = this.#visits.get(body.id);
    if (record !== undefined) {
      if (record.phase === "leaving") record.forward.push(body);
      else if (record.control !== "dispose") {
        record.control = kind;
        if (kind === "dispose") record.abort.abort();
      }
      return;
    }
    const next = this.#trail.get(body.id);
    if (next !== undefined) void this.#ctx.send(platformOf(next), body);
    else if (!this.#finished.has(body.id)) remember(this.#early, body.id, kind);
  }

  #onScan(env: Envelope, body: MessageOf<"scan">): Promise<void> {
    const shard = this.#shard;
    const limit = Math.min(Math.max(0, Number(body.limit) || 0), 100_000);
    const offset = Math.max(0, Number(body.offset) || 0);
    const rows = shard ? shard.scan(offset, limit) : [];
    const end = offset + rows.length;
    const next = shard && end < shard.size && rows.length > 0 ? end : null;
    return this.#ctx.reply(env, message("rows", { rows, next }));
  }

  async #onUnknown(env: Envelope): Promise<void> {
    this.#ctx.log(`ignored message of kind ${JSON.stringify(env.kind)} from ${env.from}`);
    if (env.corr === undefined) return;
    await this.#ctx.reply(
      env,
      message("agent-rejected", {
        id: "?",
        hop: -1,
        reason: `Cannot handle message kind ${JSON.stringify(env.kind)}`,
      }),
    );
  }
}
