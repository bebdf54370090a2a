/**
 * Group names, and the address of a member's endpoint: the process that runs the group protocol
 * for one member of one group, on the member's machine (so it crashes with it).
 * @module
 */
import { type Address, machineOf, processOf } from "../core/name.ts";

const GROUP = /^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,30})$/;

/** Address of the membership service when none is given. */
export const DEFAULT_GROUP_MANAGER: Address = "groups@g0.lab";

/**
 * Checks a group name: 1 to 31 letters, digits, `-` or `_`, starting with a letter or digit.
 *
 * @throws {TypeError} quoting the name and the accepted form.
 * @example A good and a bad name
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkGroupName } from "./name.ts";
 * assert.equal(checkGroupName("chat-1"), "chat-1");
 * assert.throws(() => checkGroupName("a b"), /Cannot use group name "a b"/);
 * ```
 */
export function checkGroupName(name: string): string {
  if (typeof name !== "string" || !GROUP.test(name)) {
    throw new TypeError(
      `Cannot use group name ${JSON.stringify(name)}: use 1 to 31 letters, digits, '-' or '_', ` +
        "starting with a letter or digit (chat, workers-2)",
    );
  }
  return name;
}

/**
 * Address of `member`'s endpoint for `group`: `<process>--<group>@<machine>`.
 *
 * @throws {TypeError} when the group name is bad or the endpoint's name would pass 63 characters.
 * @example Endpoint of a member
 * ```ts
 * import assert from "node:assert/strict";
 * import { endpointOf } from "./name.ts";
 * assert.equal(endpointOf("alice@m1.lab", "chat"), "alice--chat@m1.lab");
 * ```
 */
export function endpointOf(member: Address, group: string): Address {
  checkGroupName(group);
  const name = `${processOf(member)}--${group}`;
  if (name.length > 63) {
    throw new TypeError(
      `Cannot join group "${group}" as "${member}": the endpoint name "${name}" passes 63 ` +
        "characters; use a shorter process or group name",
    );
  }
  return `${name}@${machineOf(member)}`;
}
