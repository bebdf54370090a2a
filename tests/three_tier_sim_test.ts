/**
 * The three tiers end to end in the simulator: the page, the JSON API, and every error status
 * a user can meet (400, 404, 409, 504), with a malformed message to each tier never crashing it.
 * @module
 */
import assert from "node:assert/strict";
import { Simulator } from "../core/simulator/simulator.ts";
import { logicTier } from "../tiers/three_tier/logic_tier.ts";
import { presentationTier } from "../tiers/three_tier/presentation_tier.ts";
import { simStack } from "./_three_tier_harness.ts";

Deno.test("presentationTier() serves the catalogue page and the JSON API through logic and data", async () => {
  const stack = simStack();
  const page = await stack.one({ path: "/" });
  assert.equal(page.status, 200);
  assert.match(page.headers["content-type"], /text\/html/);
  assert.match(page.text, /Frankenstein/);
  const books = await stack.one({ path: "/api/books" });
  assert.equal(books.status, 200);
  assert.equal(books.json.books.length, 12);
  const search = await stack.one({ path: "/api/books?q=bronte" });
  assert.deepEqual(search.json.books.map((b: { title: string }) => b.title), [
    "Jane Eyre",
    "Wuthering Heights",
  ]);
  const book = await stack.one({ path: "/api/books/4" });
  assert.equal(book.json.title, "Frankenstein");
  assert.match(book.headers["x-trace-id"], /^tr-[0-9a-f]{12}$/);
  assert.match(book.headers["server-timing"], /presentation;dur=.*logic;dur=.*data;dur=/);
});

Deno.test("presentationTier() lends, refuses a second loan of the last copy with 409, takes it back", async () => {
  const stack = simStack();
  const loan = await stack.one({ path: "/api/loans", body: { bookId: 4, member: "Ada" } });
  assert.equal(loan.status, 201);
  assert.deepEqual(loan.json, {
    id: 1,
    bookId: 4,
    title: "Frankenstein",
    member: "ada",
    returned: false,
  });
  const second = await stack.one({ path: "/api/loans", body: { bookId: 4, member: "bob" } });
  assert.equal(second.status, 409);
  assert.equal(second.json.error.code, "conflict");
  assert.match(second.json.error.message, /no copy is available/);
  const back = await stack.one({ path: "/api/loans/1/return", method: "POST" });
  assert.equal(back.status, 200);
  assert.equal(back.json.returned, true);
  const again = await stack.one({ path: "/api/loans/1/return", method: "POST" });
  assert.equal(again.status, 409);
  assert.equal((await stack.one({ path: "/api/books/4" })).json.available, 1);
});

Deno.test("logicTier() enforces the loan limit per member with 409", async () => {
  const stack = simStack({ logic: { maxLoans: 2 } });
  const answers = [];
  for (const bookId of [1, 2, 3]) {
    answers.push((await stack.one({ path: "/api/loans", body: { bookId, member: "ada" } })).status);
  }
  assert.deepEqual(answers, [201, 201, 409]);
});

Deno.test("presentationTier() answers an unknown route with 404 JSON", async () => {
  const stack = simStack();
  for (const ask of [{ path: "/nope" }, { path: "/api/books", method: "DELETE" }]) {
    const answer = await stack.one(ask);
    assert.equal(answer.status, 404);
    assert.equal(answer.json.error.code, "not-found");
    assert.match(answer.json.error.message, /no such route; GET \/api lists the routes/);
  }
  const missing = await stack.one({ path: "/api/books/99" });
  assert.equal(missing.status, 404);
  assert.match(missing.json.error.message, /Cannot find book 99/);
});

Deno.test("logicTier() answers an invalid body with 400 listing every wrong field, and one past the limit with 413", async () => {
  const stack = simStack();
  const answer = await stack.one({
    path: "/api/books",
    body: { isbn: "12-34", title: "", copies: 0, colour: "red" },
  });
  assert.equal(answer.status, 400);
  assert.equal(answer.json.error.code, "invalid");
  assert.deepEqual(
    answer.json.error.fields.map((f: { field: string }) => f.field),
    ["isbn", "title", "author", "copies", "colour"],
  );
  const notJson = await stack.one({ path: "/api/loans", body: "{bookId: 1" });
  assert.equal(notJson.status, 400);
  assert.equal(notJson.json.error.fields[0].field, "body");
  const huge = await stack.one({
    path: "/api/loans",
    body: JSON.stringify({ member: "x".repeat(70_000) }),
  });
  assert.equal(huge.status, 413);
  assert.equal(huge.json.error.code, "too-large");
  assert.match(huge.json.error.fields[0].problem, /larger than 65536 bytes/);
  const array = await stack.one({ path: "/api/loans", body: [1, 2] });
  assert.equal(array.status, 400);
  const badId = await stack.one({ path: "/api/books/abc" });
  assert.equal(badId.status, 400);
  assert.equal(badId.json.error.fields[0].field, "id");
  const budget = await stack.one({ path: "/api/books", headers: { "x-budget-ms": "soon" } });
  assert.equal(budget.status, 400);
  assert.equal(budget.json.error.fields[0].field, "X-Budget-Ms");
});

Deno.test("dataTier() turns a duplicate ISBN into 409 and keeps the catalogue unchanged", async () => {
  const stack = simStack();
  const book = {
    isbn: "978-0-14-143951-8",
    title: "Pride and Prejudice",
    author: "Austen",
    copies: 1,
  };
  const answer = await stack.one({ path: "/api/books", body: book });
  assert.equal(answer.status, 409);
  assert.match(answer.json.error.message, /ISBN "9780141439518" is book 1 already/);
  const added = await stack.one({ path: "/api/books", body: { ...book, isbn: "9780000000002" } });
  assert.equal(added.status, 201);
  assert.equal(added.json.id, 13);
});

Deno.test("presentationTier() answers 504 when the budget is spent, and the data tier writes nothing", async () => {
  const stack = simStack({ latency: { kind: "constant", ms: 2 } });
  const early = await stack.one({ path: "/api/books", headers: { "x-budget-ms": "1" } });
  assert.equal(early.status, 504);
  assert.equal(early.json.error.code, "deadline");
  assert.match(early.json.error.message, /budget of 1 ms is spent/);

  const slow = simStack({ latency: { kind: "constant", ms: 2 }, data: { statementMs: 20 } });
  const loan = await slow.one({
    path: "/api/loans",
    body: { bookId: 4, member: "ada" },
    headers: { "x-budget-ms": "40" },
  });
  assert.equal(loan.status, 504);
  assert.equal(loan.json.error.code, "deadline");
  const loans = await slow.one({ path: "/api/loans" });
  assert.deepEqual(loans.json.loans, []);
  assert.equal((await slow.one({ path: "/api/books/4" })).json.available, 1);
});

Deno.test("the budget shrinks at each hop: each tier passes on what its own time left", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 2 } });
  const seen: unknown[] = [];
  sim.machine("data.lab").spawn("db", async (ctx) => {
    for (;;) {
      const env = await ctx.receive<{ kind: string; traceId?: string; budgetMs?: number }>();
      if (env.body.kind === "open") await ctx.reply(env, { kind: "opened", session: "s1" });
      else {
        seen.push({ traceId: env.body.traceId, budgetMs: env.body.budgetMs });
        await ctx.reply(env, { kind: "data-ok", traceId: env.body.traceId, value: {}, dataMs: 0 });
      }
    }
  });
  sim.machine("logic.lab").spawn("logic", logicTier({ workMs: 1 }));
  sim.machine("web.lab").spawn("http", presentationTier({ workMs: 1 }));
  sim.machine("ctl.lab").spawn("user", async (ctx) => {
    await ctx.request("http@web.lab", {
      kind: "http",
      method: "GET",
      path: "/api/books/1",
      headers: { "x-budget-ms": "500", "x-trace-id": "t-42" },
    });
  });
  await sim.run();
  const calls = sim.trace.events.filter((e) => e.ev === "send" && e.kind === "call");
  assert.deepEqual(calls.map((e) => e.label), ["CALL t-42 getBook 499"]);
  // logic: 499 - 1 ms of work - 4 ms to open a session (one round trip) = 494
  assert.deepEqual(seen, [{ traceId: "t-42", budgetMs: 494 }]);
});

Deno.test("a malformed message to any tier never crashes it", async () => {
  const stack = simStack();
  const garbage: [string, unknown][] = [
    ["http@web.lab", "hello"],
    ["http@web.lab", { kind: "http", method: 5, path: "/" }],
    ["http@web.lab", { kind: "http", method: "GET", path: "no-slash" }],
    ["http@web.lab", { kind: "http", method: "GET", path: "/", headers: { "bad header": "x" } }],
    ["logic@logic.lab", null],
    ["logic@logic.lab", { kind: "call", op: "dropTables", budgetMs: 100 }],
    ["logic@logic.lab", { kind: "call", op: "borrow", budgetMs: "lots", input: 7 }],
    ["db@data.lab", [1, 2, 3]],
    ["db@data.lab", { kind: "exec", session: "forged", op: "borrow", budgetMs: 10, params: {} }],
    ["db@data.lab", { kind: "open", extra: true }],
  ];
  const kinds: string[] = [];
  stack.sim.machine("ctl.lab").spawn("fuzzer", async (ctx) => {
    for (const [to, body] of garbage) {
      const reply = await ctx.request<{ kind: string; status?: number }>(to, body);
      kinds.push(`${reply.body.kind}${reply.body.status ? ` ${reply.body.status}` : ""}`);
    }
  });
  await stack.sim.run();
  assert.deepEqual(kinds, [
    "http-response 400",
    "http-response 400",
    "http-response 400",
    "http-response 400",
    "logic-error",
    "logic-error",
    "logic-error",
    "data-error",
    "data-error",
    "opened",
  ]);
  const exits = stack.sim.trace.events.filter((e) =>
    e.ev === "exit" &&
    ["http@web.lab", "logic@logic.lab", "pool@logic.lab", "db@data.lab"].includes(e.at)
  );
  assert.deepEqual(exits, []);
  assert.equal((await stack.one({ path: "/api/books/1" })).status, 200);
});
