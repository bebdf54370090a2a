/**
 * The request head cap of the bounded HTTP/1.1 listener over real loopback sockets: the whole
 * head (request line, every field line and the blank line that ends it) counts against
 * `maxHeaderBytes` however it arrives (one write, many small ones, one giant field line); a head
 * of exactly the cap is served, one byte more is answered `431 Request Header Fields Too Large`
 * and the connection closes.
 * @module
 */
import { serveHttp1 } from "../core/network/http1_server.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A GET head of exactly `size` bytes, its bulk in `lines` field lines of equal length. */
function headOf(size: number, lines: number): string {
  const start = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
  let fields = "";
  const room = size - start.length - 2;
  for (let i = 0; i < lines; i++) {
    const name = `X-F${i}: `;
    const length = i === lines - 1 ? room - fields.length : Math.floor(room / lines);
    fields += name + "a".repeat(length - name.length - 2) + "\r\n";
  }
  const head = start + fields + "\r\n";
  assertEquals(head.length, size, "the head built has the size asked for");
  return head;
}

/** Sends `text` in writes of `chunk` bytes, then reads until the server closes (the heads ask it to). */
async function exchange(port: number, text: string, chunk: number): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  // Each write leaves as its own segment (no Nagle), so the server reads the head piece by piece.
  conn.setNoDelay(true);
  try {
    const bytes = encoder.encode(text);
    for (let at = 0; at < bytes.length; at += chunk) {
      const written = await conn.write(bytes.subarray(at, at + chunk)).catch((error) => {
        // The server may answer and hang up before it read everything: the answer still counts.
        if (error instanceof Deno.errors.BrokenPipe) return -1;
        if (error instanceof Deno.errors.ConnectionReset) return -1;
        throw error;
      });
      if (written < 0) break;
    }
    let answer = "";
    const buffer = new Uint8Array(4096);
    for (let i = 0; i < 1000; i++) {
      const n = await conn.read(buffer);
      if (n === null) break;
      answer += decoder.decode(buffer.subarray(0, n));
    }
    return answer;
  } finally {
    conn.close();
  }
}

for (
  const [label, lines, chunk] of [
    ["in one write", 10, 1 << 20],
    ["in 1,000-byte writes", 40, 1000],
    ["in 7-byte writes", 40, 7],
    ["as one giant field line", 1, 1500],
  ] as const
) {
  Deno.test(`serveHttp1() serves a head of exactly maxHeaderBytes and answers one byte more with 431 (${label})`, async () => {
    for (const max of [65_536, 50_001, 1_000]) {
      const server = serveHttp1(() => new Response("ok"), { maxHeaderBytes: max });
      try {
        const under = await exchange(server.addr.port, headOf(max, lines), chunk);
        assertTrue(under.startsWith("HTTP/1.1 200"), `${max} bytes: ${under.slice(0, 80)}`);
        const over = await exchange(server.addr.port, headOf(max + 1, lines), chunk);
        assertTrue(
          over.startsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
          `${max + 1} bytes: ${over.slice(0, 80)}`,
        );
        assertTrue(over.includes(`over ${max} bytes`), over);
      } finally {
        await server.shutdown();
      }
    }
  });
}

Deno.test("serveHttp1() answers 431 to a head far over maxHeaderBytes while the client keeps sending", async () => {
  const server = serveHttp1(() => new Response("ok"), { maxHeaderBytes: 4096 });
  try {
    const answer = await exchange(server.addr.port, headOf(1 << 20, 1), 16 * 1024);
    assertTrue(answer.startsWith("HTTP/1.1 431 "), answer.slice(0, 80));
    assertEquals(server.connections, 0, "the refused connection is closed");
  } finally {
    await server.shutdown();
  }
});
