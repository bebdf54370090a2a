/**
 * The data tier on PostgreSQL, against a real throwaway server (tests/_postgres.ts): the store
 * gives the same answers as the SQLite one, the three tiers as OS processes keep acknowledged
 * writes in PostgreSQL across a data tier restart, `lab three-tier --db postgres://...` runs
 * users against it, and the mistakes (a bad URL, `--sim`, a server that is down or silent) are
 * clear errors, never a hang.
 * @module
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { ProcessFailedError } from "../core/errors.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { deploy } from "../lab/deploy/deploy.ts";
import { findUrl, threeTierMachines } from "../lab/three_tier/command.ts";
import { LibraryStore } from "../tiers/three_tier/data_store.ts";
import { dataTier } from "../tiers/three_tier/data_tier.ts";
import type { LibraryStorage } from "../tiers/three_tier/library_storage.ts";
import { PostgresConnectError } from "../tiers/three_tier/postgres_connection.ts";
import { PostgresLibraryStore } from "../tiers/three_tier/postgres_library_store.ts";
import type { DataOp } from "../tiers/three_tier/messages.ts";
import { captureMain } from "./_lab.ts";
import { withPostgres } from "./_postgres.ts";

type Outcome = { ok: unknown } | { error: string };

/** The same operations, in order, with each one's answer or refusal code. */
async function script(store: LibraryStorage): Promise<Outcome[]> {
  const steps: [DataOp, Record<string, unknown>][] = [
    ["getBook", { id: 4 }],
    ["getBook", { id: 99 }],
    ["listBooks", { q: "BRONTE" }],
    ["addBook", { isbn: "9780141439518", title: "Again", author: "Someone", copies: 1 }],
    ["addBook", { isbn: "9790000000001", title: "Kept", author: "Ada", copies: 2 }],
    ["borrow", { bookId: 4, member: "ada", maxLoans: 2 }],
    ["borrow", { bookId: 4, member: "bob", maxLoans: 2 }],
    ["borrow", { bookId: 1, member: "ada", maxLoans: 2 }],
    ["borrow", { bookId: 2, member: "ada", maxLoans: 2 }],
    ["giveBack", { loanId: 1 }],
    ["giveBack", { loanId: 1 }],
    ["giveBack", { loanId: 42 }],
    ["listLoans", { member: "ada" }],
    ["overview", {}],
  ];
  const outcomes: Outcome[] = [];
  for (const [op, params] of steps) {
    try {
      outcomes.push({ ok: await store.run(op, params, `t${outcomes.length}`) });
    } catch (error) {
      outcomes.push({ error: (error as { code?: string }).code ?? String(error) });
    }
  }
  // A deadline that fails just before COMMIT rolls the whole borrow back.
  await assert.rejects(
    store.run("borrow", { bookId: 5, member: "cy", maxLoans: 2 }, "late", {
      beforeCommit: () => {
        throw new Error("budget spent");
      },
    }),
    /budget spent/,
  );
  outcomes.push({ ok: await store.run("listLoans", { member: "cy" }, "after") });
  return outcomes;
}

Deno.test("PostgresLibraryStore answers every operation as LibraryStore does, on a real server", async () => {
  await withPostgres(async (server) => {
    const url = await server.createDatabase("library");
    const sqlite = new LibraryStore(":memory:");
    const expected = await script(sqlite);
    sqlite.close();
    const store = await PostgresLibraryStore.connect(url, { connectTimeoutMs: 5000 });
    try {
      assert.deepEqual(await script(store), expected);
    } finally {
      await store.close();
    }
    // The answers are the right ones, not only the same ones.
    assert.deepEqual(expected.slice(1, 2), [{ error: "not-found" }]);
    assert.deepEqual(
      (expected[2] as { ok: { books: { title: string }[] } }).ok.books.map((b) => b.title),
      ["Jane Eyre", "Wuthering Heights"],
    );
    assert.deepEqual(expected.slice(3, 4), [{ error: "conflict" }]);
    assert.deepEqual(expected.slice(6, 7), [{ error: "conflict" }]); // no copy of book 4 left
    assert.deepEqual(expected.slice(8, 9), [{ error: "conflict" }]); // ada's loan limit
    assert.deepEqual(expected.slice(10, 12), [{ error: "conflict" }, { error: "not-found" }]);
    assert.deepEqual(expected.at(-1), { ok: { loans: [] } });

    // Reopened, the catalogue is kept (not seeded again); `fresh` starts a new one.
    const again = await PostgresLibraryStore.connect(url);
    const kept = await again.run("overview", {}, "t") as { books: unknown[] };
    await again.close();
    assert.equal(kept.books.length, 13);
    const fresh = await PostgresLibraryStore.connect(url, { fresh: true });
    const renewed = await fresh.run("overview", {}, "t") as { books: unknown[]; loans: unknown[] };
    await fresh.close();
    assert.deepEqual([renewed.books.length, renewed.loans.length], [12, 0]);
  });
});

Deno.test("dataTier() with a PostgreSQL url fails at start in the simulator, saying why", async () => {
  const sim = new Simulator({ seed: 1 });
  sim.machine("data.lab").spawn("db", dataTier({ url: "postgres://lab@127.0.0.1:5432/library" }));
  const error = await sim.run().then(
    () => assert.fail("the simulated run must fail"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ProcessFailedError);
  assert.match(String(error.cause), /outside virtual time; run on real sockets/);
  assert.throws(
    () => dataTier({ path: "x.db", url: "postgres://lab@127.0.0.1/x" }),
    /not both/,
  );
  assert.throws(() => dataTier({ url: "postgres:///x" }), /has no host/);
});

async function call(base: string, path: string, body?: unknown): Promise<Response> {
  return await fetch(new URL(path, base), {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
}

Deno.test("threeTierMachines({ dbUrl }) as OS processes keep acknowledged writes in PostgreSQL across a data tier restart", async () => {
  await withPostgres(async (server) => {
    const url = await server.createDatabase("library");
    const deployment = await deploy(threeTierMachines({ dbUrl: url, dataTimeoutMs: 300 }), {
      seed: 1,
    });
    try {
      const base = await findUrl(deployment);
      const page = await call(base, "/");
      assert.equal(page.status, 200);
      assert.match(await page.text(), /Wuthering Heights/);
      const loan = await call(base, "/api/loans", { bookId: 4, member: "ada" });
      assert.equal(loan.status, 201, await loan.text());
      const duplicate = await call(base, "/api/books", {
        isbn: "9780141439518",
        title: "Again",
        author: "Someone",
        copies: 1,
      });
      assert.equal(duplicate.status, 409);
      await duplicate.body?.cancel();

      deployment.crash("data.lab", { at: 0, restartAt: 1500 });
      let down = false;
      for (let i = 0; i < 20 && !down; i++) {
        const attempt = await call(base, "/api/loans", { bookId: 2, member: "bob" });
        down = attempt.status === 503;
        if (!down) assert.equal(attempt.status, 201, "before the crash lands, acknowledged");
        await attempt.body?.cancel();
      }
      assert.ok(down, "the data tier went down");
      let back: { loans: { bookId: number }[] } | undefined;
      for (let i = 0; i < 40 && back === undefined; i++) {
        const attempt = await call(base, "/api/loans?member=ada");
        if (attempt.status === 200) back = await attempt.json();
        else {
          assert.equal(attempt.status, 503);
          await attempt.body?.cancel();
        }
      }
      assert.ok(back, "the data tier came back, connected to PostgreSQL again");
      assert.deepEqual(back.loans.map((l) => l.bookId), [4]);
    } finally {
      await deployment.stop();
    }
    const sql = postgres(url, { max: 1, onnotice: () => undefined });
    try {
      const ada = await sql`SELECT member, book_id FROM loans WHERE member = 'ada'`;
      assert.deepEqual(ada.map((r) => `${r.member}:${r.book_id}`), ["ada:4"]);
      const [bob] = await sql`SELECT COUNT(*)::int AS n FROM loans WHERE member = 'bob'`;
      const [book] = await sql`SELECT available FROM books WHERE id = 2`;
      assert.equal(book.available, 2 - bob.n, "each of bob's loans took exactly one copy");
    } finally {
      await sql.end();
    }
  });
});

Deno.test("runThreeTier() --db postgres://... runs users against PostgreSQL on OS processes", async () => {
  await withPostgres(async (server) => {
    const url = await server.createDatabase("library");
    const lab = (...extra: string[]) =>
      captureMain(["three-tier", "--users", "2", "--duration", "600", "--think", "20", ...extra]);
    const run = await lab("--json", "--db", url);
    assert.equal(run.code, 0, run.err.join("\n"));
    const summary = JSON.parse(run.out.at(-1)!);
    assert.equal(summary.transport, "tcp");
    assert.ok(summary.requests > 0);
    assert.equal(summary.errors, 0);
    const sql = postgres(url, { max: 1, onnotice: () => undefined });
    try {
      const [{ n }] = await sql`SELECT COUNT(*)::int AS n FROM books`;
      assert.ok(n >= 12, `${n} books`);
      await sql`INSERT INTO books (isbn, title, author, copies, available)
        VALUES ('9790000000099', 'Marker', 'Test', 1, 1)`;
      // --fresh drops the catalogue: the marker is gone, the dozen books are back.
      const again = await lab("-q", "--fresh", "--db", url);
      assert.equal(again.code, 0, again.err.join("\n"));
      assert.match(again.out.join("\n"), /database postgres:\/\/archlab@127\.0\.0\.1:\d+\/library/);
      const marker = await sql`SELECT id FROM books WHERE isbn = '9790000000099'`;
      assert.equal(marker.length, 0);
    } finally {
      await sql.end();
    }
  });
});

Deno.test("runThreeTier() refuses a bad --db URL and --sim with a URL with exit 2", async () => {
  for (
    const [args, message] of [
      [["--db", "postgres:///library"], /--db "postgres:\/\/\/library": it has no host/],
      [["--db", "mysql://db/library"], /its scheme is "mysql:"/],
      [["--db", "postgres://ada:secret@db:99999/x"], /"postgres:\/\/ada:\*\*\*@db:99999\/x"/],
      [["--sim", "--db", "postgres://lab@127.0.0.1/x"], /with --sim: a PostgreSQL server/],
    ] as const
  ) {
    const { code, err } = await captureMain(["three-tier", ...args]);
    assert.equal(code, 2, args.join(" "));
    assert.match(err.join("\n"), message);
    assert.doesNotMatch(err.join("\n"), /secret/);
  }
});

Deno.test("runThreeTier() with an unreachable PostgreSQL fails with a clear error, not a hang", async () => {
  // A server that accepts connections and never answers, and a port with no server at all.
  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of silent) held.push(conn);
  })();
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = (closed.addr as Deno.NetAddr).port;
  closed.close();
  const guard = Promise.withResolvers<never>();
  const timer = setTimeout(() => guard.reject(new Error("the lab hung")), 30_000);
  try {
    for (
      const [port, reason] of [
        [(silent.addr as Deno.NetAddr).port, /no answer within 5000 ms/],
        [closedPort, /ECONNREFUSED/],
      ] as const
    ) {
      const url = `postgres://archlab@127.0.0.1:${port}/library`;
      const { code, err } = await Promise.race([
        captureMain(["three-tier", "-q", "--db", url]),
        guard.promise,
      ]);
      assert.equal(code, 1);
      const text = err.join("\n");
      assert.match(
        text,
        new RegExp(`Cannot connect to PostgreSQL at ${url.replaceAll(".", "\\.")}`),
      );
      assert.match(text, reason);
      assert.match(text, /check that the server runs/);
    }
  } finally {
    clearTimeout(timer);
    silent.close();
    for (const conn of held) conn.close();
    await accepting;
  }
  await assert.rejects(
    PostgresLibraryStore.connect(`postgres://archlab@127.0.0.1:${closedPort}/x`),
    PostgresConnectError,
  );
});
