/**
 * The presentation tier's HTML: the catalogue, the loans on issue, and forms that call the
 * JSON API. Every value from the lower tiers is escaped (`hono/html`).
 * @module
 */
import { html, raw } from "hono/html";
import type { Book, Loan } from "./messages.ts";

/** What the page shows: the logic tier's `overview`. */
export interface Overview {
  /** The catalogue. */
  readonly books: readonly Book[];
  /** The loans, open and returned. */
  readonly loans: readonly Loan[];
}

const STYLE =
  `body{font:15px/1.4 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem}
table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left}
form{display:flex;gap:.5rem;flex-wrap:wrap;margin-bottom:1rem}input{padding:.3rem}
#out{white-space:pre-wrap;background:#f5f5f5;padding:.5rem;min-height:2rem}small{color:#666}`;

const SCRIPT = `for (const form of document.querySelectorAll("form[data-api]")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {};
    for (const [k, v] of new FormData(form)) body[k] = form.elements[k].type === "number" ? Number(v) : v;
    const path = form.dataset.api.replace(":id", body.id ?? "");
    delete body.id;
    const res = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    document.getElementById("out").textContent = res.status + " " + res.statusText + "\\n" + await res.text();
    if (res.ok) setTimeout(() => location.reload(), 800);
  });
}`;

/** Options of {@link renderPage}. */
export interface PageOptions {
  /** Shown at the bottom, to find the request in a trace. @default "" */
  readonly traceId?: string;
}

/**
 * Renders the catalogue page.
 *
 * @example Values are escaped
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderPage } from "./presentation_page.ts";
 * const page = await renderPage({
 *   books: [{ id: 1, isbn: "1", title: "<b>Dune</b>", author: "F. Herbert", copies: 1, available: 1 }],
 *   loans: [],
 * }, { traceId: "tr-1" });
 * assert.match(page, /&lt;b&gt;Dune&lt;\/b&gt;/);
 * ```
 */
export async function renderPage(
  overview: Overview,
  options: PageOptions = {},
): Promise<string> {
  const books = overview.books.map((b) =>
    html`
      <tr>
        <td>${b.id}</td>
        <td>${b.title}</td>
        <td>${b.author}</td>
        <td>${b.isbn}</td>
        <td>${b.available} / ${b.copies}</td>
      </tr>
    `
  );
  const loans = overview.loans.map((l) =>
    html`
      <tr>
        <td>${l.id}</td>
        <td>${l.title}</td>
        <td>${l.member}</td>
      </tr>
    `
  );
  return String(
    await html`
      <!doctype html>
      <html lang="en">
        <head>
          <meta charset="utf-8">
          <title>archlab library (three-tier)</title>
          <style>${raw(STYLE)}</style>
        </head>
        <body>
          <h1>Library catalogue</h1>
          <p><small>Presentation (Hono) &rarr; logic (rules, connection pool) &rarr; data (SQLite), each its own machine. JSON API: <a href="/api">/api</a></small></p>
          <h2>Books</h2>
          <table><tr><th>id</th><th>title</th><th>author</th><th>ISBN</th><th>available</th></tr>${books}</table>
          <h2>Loans on issue</h2>
          <table><tr><th>loan</th><th>title</th><th>member</th></tr>${loans}</table>
          <h2>Borrow, return, add</h2>
          <form
            data-api="/api/loans"><input name="bookId" type="number" placeholder="book id" required><input name="member" placeholder="member" required><button>Borrow</button></form>
          <form
            data-api="/api/loans/:id/return"><input name="id" type="number" placeholder="loan id" required><button>Return</button></form>
          <form
            data-api="/api/books"><input name="isbn" placeholder="ISBN"><input name="title" placeholder="title"><input name="author" placeholder="author"><input name="copies" type="number" placeholder="copies"><button>Add book</button></form>
          <div id="out"></div>
          <p><small>trace ${options.traceId ?? ""}</small></p>
          <script>${raw(SCRIPT)}</script>
        </body>
      </html>
    `,
  ).trim();
}

/**
 * Renders an error page (the HTML twin of the JSON error).
 *
 * @example An escaped message
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderErrorPage } from "./presentation_page.ts";
 * assert.match(await renderErrorPage(503, "<down>"), /503.*&lt;down&gt;/s);
 * ```
 */
export async function renderErrorPage(status: number, message: string): Promise<string> {
  return String(
    await html`
      <!doctype html>
      <html lang="en">
        <head>
          <meta charset="utf-8">
          <title>${status}</title>
        </head>
        <body>
          <h1>${status}</h1>
          <p>${message}</p>
          <p><a href="/">back to the catalogue</a></p>
        </body>
      </html>
    `,
  ).trim();
}
