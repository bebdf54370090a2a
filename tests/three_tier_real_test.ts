/**
 * The three tiers as real OS processes on 127.0.0.1, driven with real `fetch`: the page and the
 * JSON API, 400/404/409, 503 while the data tier is down, and every acknowledged write in the
 * SQLite file after the data tier restarts.
 * @module
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { deploy } from "../lab/deploy/deploy.ts";
import { findUrl, threeTierMachines } from "../lab/three_tier/command.ts";

interface Got {
  status: number;
  headers: Headers;
  text: string;
  // deno-lint-ignore no-explicit-any
  json: any;
}

async function call(base: string, path: string, body?: unknown): Promise<Got> {
  const response = await fetch(new URL(path, base), {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

Deno.test("three tiers as OS processes serve real HTTP and keep acknowledged writes across a data tier restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "three-tier-" });
  const dbPath = `${dir}/library.db`;
  const deployment = await deploy(threeTierMachines({ dbPath, dataTimeoutMs: 300 }), { seed: 1 });
  try {
    const url = await findUrl(deployment);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);

    const page = await call(url, "/");
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /text\/html/);
    assert.match(page.text, /Wuthering Heights/);
    assert.match(page.headers.get("server-timing") ?? "", /presentation;dur=/);
    assert.equal((await call(url, "/api/nothing")).status, 404);
    const invalid = await call(url, "/api/books", { isbn: "x", copies: 1.5 });
    assert.equal(invalid.status, 400);
    assert.deepEqual(invalid.json.error.fields.map((f: { field: string }) => f.field), [
      "isbn",
      "title",
      "author",
      "copies",
    ]);
    assert.equal((await call(url, "/api/loans", "{oops")).status, 400);
    const duplicate = await call(url, "/api/books", {
      isbn: "9780141439518",
      title: "Again",
      author: "Someone",
      copies: 1,
    });
    assert.equal(duplicate.status, 409);

    const acknowledged = await call(url, "/api/loans", { bookId: 4, member: "ada" });
    assert.equal(acknowledged.status, 201);
    const added = await call(url, "/api/books", {
      isbn: "9790000000001",
      title: "Kept",
      author: "Ada",
      copies: 2,
    });
    assert.equal(added.status, 201);

    deployment.crash("data.lab", { at: 0, restartAt: 1500 });
    let down: Got | undefined;
    for (let i = 0; i < 20 && down === undefined; i++) {
      const attempt = await call(url, "/api/loans", { bookId: 2, member: "bob" });
      if (attempt.status === 503) down = attempt;
      else assert.equal(attempt.status, 201, "before the crash lands, the loan is acknowledged");
    }
    assert.ok(down, "the data tier went down");
    assert.equal(down.json.error.code, "unavailable");

    let back: Got | undefined;
    for (let i = 0; i < 40 && back === undefined; i++) {
      const attempt = await call(url, "/api/loans?member=ada");
      if (attempt.status === 200) back = attempt;
      else assert.equal(attempt.status, 503);
    }
    assert.ok(back, "the data tier came back");
    assert.deepEqual(back.json.loans.map((l: { bookId: number }) => l.bookId), [4]);
  } finally {
    await deployment.stop();
  }
  const db = new DatabaseSync(dbPath);
  try {
    const loans = db.prepare("SELECT member, book_id FROM loans WHERE member = 'ada'").all();
    assert.deepEqual(loans.map((r) => `${r.member}:${r.book_id}`), ["ada:4"]);
    const book = db.prepare("SELECT copies, available FROM books WHERE isbn = '9790000000001'")
      .get();
    assert.deepEqual({ ...book }, { copies: 2, available: 2 });
    const bob = db.prepare("SELECT COUNT(*) AS n FROM loans WHERE member = 'bob'").get()!;
    const copies = db.prepare("SELECT available FROM books WHERE id = 2").get()!;
    assert.equal(
      Number(copies.available),
      2 - Number(bob.n),
      "each of bob's loans took exactly one copy",
    );
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});
