/**
 * Code integrity: the owner signs an agent package with HMAC-SHA256 under a key it shares with
 * the nodes; a node checks the signature before it runs anything, and checks the source against
 * the package's SHA-256 when the source arrives. The nodes hold the key too (they re-sign the new
 * state on departure); agents never see it. Synchronous (`node:crypto`), so the simulator can use
 * it. There is no default key: a run that is given none makes one ({@link generateAgentKey}).
 * @module
 */
import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";
import type { AgentPackage } from "./agent_package.ts";

/**
 * JSON with object keys sorted at every level: equal values give equal text.
 *
 * @example Key order does not matter
 * ```ts
 * import assert from "node:assert/strict";
 * import { canonicalJson } from "./signature.ts";
 * assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}');
 * ```
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/**
 * HMAC-SHA256 (hex) of the package under `key`.
 *
 * @example Signing is deterministic
 * ```ts
 * import assert from "node:assert/strict";
 * import { signPackage } from "./signature.ts";
 * const pkg = { v: 1, id: "a" } as never;
 * assert.equal(signPackage(pkg, "k"), signPackage(pkg, "k"));
 * assert.notEqual(signPackage(pkg, "k"), signPackage(pkg, "other"));
 * ```
 */
export function signPackage(pkg: AgentPackage, key: string): string {
  if (typeof key !== "string" || key === "") {
    throw new TypeError(`Cannot sign agent package: key ${JSON.stringify(key)} is empty`);
  }
  return createHmac("sha256", key).update(canonicalJson(pkg)).digest("hex");
}

/**
 * A new signing key: 256 random bits as hex. By default from `crypto.getRandomValues`; `random`
 * (floats in [0, 1)) draws it from a seeded source instead, such as the simulator's, so a
 * simulated run replays byte for byte.
 *
 * @example Fresh keys differ; a seeded source gives the same key again
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateAgentKey } from "./signature.ts";
 * import { createRandom } from "../core/prng.ts";
 * assert.match(generateAgentKey(), /^[0-9a-f]{64}$/);
 * assert.notEqual(generateAgentKey(), generateAgentKey());
 * assert.equal(generateAgentKey(createRandom(7).next), generateAgentKey(createRandom(7).next));
 * ```
 */
export function generateAgentKey(random?: () => number): string {
  const bytes = new Uint8Array(32);
  if (random === undefined) crypto.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256) & 255;
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A package with the signature that came with it. */
export interface SignedPackage {
  /** The package. */
  readonly pkg: AgentPackage;
  /** Its HMAC-SHA256 (hex), if any. */
  readonly sig?: unknown;
}

/**
 * Checks a package's signature; returns why it is refused, or `undefined` when it is good.
 *
 * @example Unsigned and altered packages are refused
 * ```ts
 * import assert from "node:assert/strict";
 * import { signPackage, verifyPackage } from "./signature.ts";
 * const pkg = { v: 1, id: "a", state: 1 } as never;
 * const sig = signPackage(pkg, "k");
 * assert.equal(verifyPackage({ pkg, sig }, "k"), undefined);
 * assert.match(verifyPackage({ pkg }, "k") ?? "", /unsigned/);
 * assert.match(verifyPackage({ pkg: { ...(pkg as object), state: 2 } as never, sig }, "k") ?? "", /altered/);
 * ```
 */
export function verifyPackage(signed: SignedPackage, key: string): string | undefined {
  const { pkg, sig: signature } = signed;
  if (signature === undefined || signature === null || signature === "") {
    return "unsigned: the package carries no signature; sign it with the shared key";
  }
  if (typeof signature !== "string" || !/^[0-9a-f]{64}$/.test(signature)) {
    return `signature ${JSON.stringify(signature).slice(0, 80)} is not 64 hex digits (HMAC-SHA256)`;
  }
  const expected = Buffer.from(signPackage(pkg, key), "hex");
  if (!timingSafeEqual(expected, Buffer.from(signature, "hex"))) {
    return "signature does not match the package: it was altered or signed with another key";
  }
  return undefined;
}
