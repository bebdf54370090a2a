/**
 * Group communication as data-driven scenarios: the membership service
 * (`tests/testdata/group_membership.txt`) and a member's endpoint
 * (`tests/testdata/group_endpoint.txt`, `group_endpoint_total.txt`), messages and ticks in,
 * effects out.
 * `UPDATE_TESTDATA=1` rewrites the effect lines.
 * @module
 */
import type { Protocol } from "../core/protocol/mod.ts";
import { GroupEndpoint } from "../groups/endpoint.ts";
import { Membership } from "../groups/membership.ts";
import { runScenario } from "./_scenario.ts";

Deno.test("Membership runs joins and leaves as numbered view changes (scenario)", async () => {
  await runScenario(
    new URL("./testdata/group_membership.txt", import.meta.url),
    (args) => new Membership(args) as Protocol,
  );
});

Deno.test("GroupEndpoint hands every group message to its member in a view (scenario)", async () => {
  await runScenario(
    new URL("./testdata/group_endpoint.txt", import.meta.url),
    (args) => new GroupEndpoint(args as never) as Protocol,
  );
});

Deno.test("GroupEndpoint delivers a total-order group's messages in the sequencer's order (scenario)", async () => {
  await runScenario(
    new URL("./testdata/group_endpoint_total.txt", import.meta.url),
    (args) => new GroupEndpoint(args as never) as Protocol,
  );
});
