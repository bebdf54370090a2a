/**
 * `--auth KEY` and `--encrypt` as a user meets them: authenticated runs work in the simulator and
 * over TCP, cost bytes, and a machine holding another key is refused.
 * @module
 */
import { TimeoutError } from "../core/errors.ts";
import { startHost } from "../core/network/host.ts";
import { Trace } from "../core/trace.ts";
import { assertEquals, assertRejects, assertTrue } from "./_assert.ts";
import { runLab } from "./_lab.ts";

Deno.test("lab client-server --auth signs every frame: same answers, more bytes on the wire", async () => {
  const plain = JSON.parse(
    (await runLab("client-server", "--sim", "--json", "--seed", "3")).stdout,
  );
  const signed = JSON.parse(
    (await runLab("client-server", "--sim", "--json", "--seed", "3", "--auth", "k3y")).stdout,
  );
  const sealed = JSON.parse(
    (await runLab("client-server", "--sim", "--json", "--seed", "3", "--auth", "k3y", "--encrypt"))
      .stdout,
  );
  assertEquals([signed.errors, sealed.errors], [0, 0]);
  assertEquals(signed.requests, plain.requests);
  assertTrue(plain.bytes < signed.bytes && signed.bytes < sealed.bytes);
});

Deno.test("lab client-server --auth works between real OS processes", async () => {
  const { code, stdout, stderr } = await runLab(
    "client-server",
    "--json",
    "--requests",
    "3",
    "--auth",
    "k3y",
    "--encrypt",
  );
  assertEquals(code, 0, stderr);
  assertEquals(JSON.parse(stdout).errors, 0);
});

Deno.test("startHost({ auth }) refuses frames signed with another key", async () => {
  const endpoints = new Map<string, string>();
  const trace = new Trace();
  const a = await startHost("a.lab", { resolve: (m) => endpoints.get(m), auth: { key: "one" } });
  const b = await startHost("b.lab", {
    resolve: (m) => endpoints.get(m),
    auth: { key: "two" },
    trace,
  });
  endpoints.set("a.lab", a.endpoint);
  endpoints.set("b.lab", b.endpoint);
  try {
    b.machine.spawn("echo", async (ctx) => {
      const m = await ctx.receive();
      await ctx.reply(m, m.body);
    });
    const asked = Promise.withResolvers<void>();
    a.machine.spawn("client", async (ctx) => {
      try {
        await assertRejects(
          () => ctx.request("echo@b.lab", "hi", { timeout: 300 }),
          TimeoutError,
        );
        asked.resolve();
      } catch (error) {
        asked.reject(error);
      }
    });
    await asked.promise;
    assertTrue(
      trace.events.some((e) => e.ev === "drop" && (e.note ?? "").includes("auth")),
      "the refused frame is in the trace",
    );
  } finally {
    await a.close();
    await b.close();
  }
});
