/**
 * The lab refuses a bad command line before it runs anything: bad fault specifications, numbers
 * out of range, flags that do not apply, unknown flags (with a did-you-mean); exit code 2 and a
 * message that names the problem. And every command's help says what it runs on, with examples.
 * @module
 */
import { assertEquals, assertTrue } from "./_assert.ts";
import { captureMain, runLab } from "./_lab.ts";
import { COMMANDS } from "../lab/main.ts";

/** Arguments, and a fragment the message must contain. */
const REFUSED: readonly (readonly [string[], string])[] = [
  [["client-server", "--sim", "--crash", "m9.lab@10"], 'machine "m9.lab" is not in this run'],
  [["client-server", "--sim", "--crash", "m1.lab@300..50"], "restart at 50 ms comes before"],
  [["client-server", "--sim", "--partition", "m1.lab|m7.lab@0..100"], 'machine "m7.lab"'],
  [["client-server", "--sim", "--partition", "m1.lab|m2.lab@400..20"], "heal at 20 ms comes"],
  [["client-server", "--sim", "--crash", "ctl.lab@10"], "the lab's own machine"],
  [["group", "--sim", "--crash", "m1.lab@abc"], 'time "abc" is not AT or AT..UNTIL'],
  [["group", "--sim", "--members", "2", "--crash", "m3.lab@10"], 'did you mean "m1.lab"'],
  [["transactions", "--sim", "--crash", "p9.lab@5"], 'machine "p9.lab"'],
  [["three-tier", "--sim", "--crash", "db.lab@5"], 'machine "db.lab"'],
  [["compare", "--outage", "400..20"], "the end at 20 ms comes before the start at 400 ms"],
  [["client-server", "--sim", "--delay", "5..1"], "MIN 5 is above MAX 1"],
  [["client-server", "--sim", "--seed", "-1"], '--seed "-1": give a whole number >= 0'],
  [["client-server", "--sim", "--clients", "-2"], '--clients "-2": give a whole number >= 1'],
  [["client-server", "--sim", "--drop", ""], '--drop "": give a probability'],
  [["client-server", "--sim", "--seed", "1", "--seed", "2"], "--seed twice"],
  [["client-server", "--reorder", "0.5"], "--reorder on OS processes without --delay"],
  [["client-server", "--sim", "--dorp", "0.1"], "did you mean --drop?"],
  [["transactions", "--sim", "--before-log"], "--before-log: it applies with --crash-coordinator"],
  [["transactions", "--sim", "--down", "50"], "--down: it applies with --crash-coordinator"],
  [["node", "--sim", "--machine", "m1.lab"], "--sim: lab node runs one machine"],
  [["node", "--machine", "bad name"], 'Cannot use --machine "bad name"'],
  [["rpc", "--auth", "a shared key of at least 32 bytes!!"], "Cannot use --auth"],
  [["three-tier", "--sim", "--db", "x.db"], "Cannot use --db"],
  [["p2p", "--sim", "--k", "3"], "--mode rumour only"],
  [["proxy", "--sim", "--cache-bytes", "5"], "--serve"],
  [["proxy", "--serve", "--origin-demo", "--sim"], "not to --serve"],
  [["describe", "--seed", "x"], '--seed "x"'],
  [["echo", "--lisen", "127.0.0.1:0"], "did you mean --listen?"],
  [["clent-server"], "did you mean client-server?"],
  [["client-server", "--sim", "--trace", "/no/such/dir/run.jsonl"], "its folder must exist"],
];

for (const [args, fragment] of REFUSED) {
  Deno.test(`main() refuses \`lab ${args.join(" ")}\` with exit 2 and a message`, async () => {
    const { code, out, err } = await captureMain(args);
    const stderr = err.join("\n");
    assertEquals(code, 2, stderr);
    assertTrue(stderr.includes(fragment), `expected "${fragment}" in:\n${stderr}`);
    assertTrue(!out.some((line) => line.startsWith("{")), "no run may start");
  });
}

Deno.test("lab client-server --seed -1 names the value, not the parser's ambiguity", async () => {
  const { code, stderr } = await runLab("client-server", "--sim", "--seed", "-1");
  assertEquals(code, 2);
  assertTrue(stderr.startsWith('Cannot use --seed "-1"'), stderr);
  assertTrue(!stderr.includes("ambiguous"), stderr);
});

Deno.test("lab node --machine with a bad name is a usage error (exit 2), not a TypeError", async () => {
  const { code, stderr } = await runLab("node", "--machine", "bad name");
  assertEquals(code, 2);
  assertTrue(stderr.includes('Cannot use --machine "bad name"'), stderr);
  assertTrue(!stderr.includes("TypeError") && !stderr.includes("    at "), stderr);
});

for (const name of Object.keys(COMMANDS)) {
  Deno.test(`main() prints help for ${name} that says what it runs on and shows examples`, async () => {
    const { code, out } = await captureMain([name, "--help"]);
    const help = out.join("\n");
    assertEquals(code, 0);
    assertTrue(/^Runs on: /m.test(help), `${name} --help lacks "Runs on:"`);
    assertTrue(/^Examples:\n {2}deno task lab /m.test(help), `${name} --help lacks examples`);
  });
}

Deno.test("main() says rpc runs in the simulator only, without claiming real processes", async () => {
  const { out } = await captureMain(["rpc", "--help"]);
  const help = out.join("\n");
  assertTrue(help.includes("Runs on: the deterministic simulator only"), help);
  assertTrue(!help.includes("default: real OS processes"), help);
});
