/**
 * Tests for the length-prefixed framing in `core/frame.ts`: boundaries kept however the stream
 * is split, zero-length frames, limits checked at the header, truncation detected at EOF.
 * @module
 */
import {
  DEFAULT_MAX_FRAME,
  encodeFrame,
  FrameDecoder,
  FrameError,
  writeFrameHeader,
} from "../core/network/frame.ts";
import { assertEquals, assertThrows, assertTrue } from "./_assert.ts";

function payloadOf(length: number, seed: number): Uint8Array {
  const payload = new Uint8Array(length);
  for (let i = 0; i < length; i++) payload[i] = (i * 31 + seed) & 0xff;
  return payload;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function wireOf(payloads: Uint8Array[]): Uint8Array {
  return concat(payloads.map(encodeFrame));
}

/** Decodes `wire` pushed as the chunks cut at `cuts`, copying each result out. */
function decodeAt(wire: Uint8Array, cuts: number[]): Uint8Array[] {
  const decoder = new FrameDecoder();
  const frames: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...cuts, wire.length]) {
    for (const frame of decoder.push(wire.subarray(start, cut))) frames.push(frame.slice());
    start = cut;
  }
  decoder.end();
  return frames;
}

Deno.test("encodeFrame() writes a 4-byte big-endian length before the payload", () => {
  const payload = payloadOf(0x0102, 1);
  const frame = encodeFrame(payload);
  assertEquals(frame.length, 4 + 0x0102);
  assertEquals([...frame.subarray(0, 4)], [0, 0, 1, 2]);
  assertEquals(frame.subarray(4), payload);
  assertEquals(encodeFrame(new Uint8Array(0)), new Uint8Array([0, 0, 0, 0]));
});

Deno.test("writeFrameHeader() writes lengths up to 0xFFFFFFFF big-endian", () => {
  const target = new Uint8Array(8);
  writeFrameHeader(target, 0, 0x01020304);
  writeFrameHeader(target, 4, 0xffffffff);
  assertEquals([...target], [1, 2, 3, 4, 255, 255, 255, 255]);
});

Deno.test("FrameDecoder.push() decodes a stream split at every byte position", () => {
  const payloads = [0, 1, 3, 0, 255, 256, 1000, 2].map(payloadOf);
  const wire = wireOf(payloads);
  for (let cut = 0; cut <= wire.length; cut++) {
    assertEquals(decodeAt(wire, [cut]), payloads, `split at ${cut}`);
  }
});

Deno.test("FrameDecoder.push() decodes a stream split at every pair of byte positions", () => {
  const payloads = [0, 1, 5, 0, 9].map(payloadOf);
  const wire = wireOf(payloads);
  for (let first = 0; first <= wire.length; first++) {
    for (let second = first; second <= wire.length; second++) {
      assertEquals(decodeAt(wire, [first, second]), payloads, `split at ${first} and ${second}`);
    }
  }
});

Deno.test("FrameDecoder.push() decodes a stream fed one byte at a time", () => {
  const payloads = [0, 7, 300, 0, 1].map(payloadOf);
  const wire = wireOf(payloads);
  const cuts = Array.from({ length: wire.length - 1 }, (_, i) => i + 1);
  assertEquals(decodeAt(wire, cuts), payloads);
});

Deno.test("FrameDecoder.push() returns many coalesced frames from one chunk as views", () => {
  const payloads = Array.from({ length: 1000 }, (_, i) => payloadOf(i % 17, i));
  const wire = wireOf(payloads);
  const frames = new FrameDecoder().push(wire);
  assertEquals(frames, payloads);
  assertTrue(frames.every((frame) => frame.buffer === wire.buffer), "frames are subarrays");
});

Deno.test("FrameDecoder.push() copies a frame that spans chunks so chunks may be reused", () => {
  const payload = payloadOf(100_000, 3);
  const wire = encodeFrame(payload);
  const decoder = new FrameDecoder();
  const chunk = new Uint8Array(4096);
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset < wire.length; offset += chunk.length) {
    const part = wire.subarray(offset, offset + chunk.length);
    chunk.set(part);
    frames.push(...decoder.push(chunk.subarray(0, part.length)));
    chunk.fill(0xee); // the caller reuses its read buffer
  }
  assertEquals(frames, [payload]);
});

Deno.test("FrameDecoder.push() returns zero-length frames", () => {
  const decoder = new FrameDecoder();
  const frames = decoder.push(new Uint8Array(12));
  assertEquals(frames, [new Uint8Array(0), new Uint8Array(0), new Uint8Array(0)]);
  assertEquals(decoder.buffered, 0);
  decoder.end();
});

Deno.test("FrameDecoder.buffered counts the bytes of the incomplete frame", () => {
  const decoder = new FrameDecoder();
  assertEquals(decoder.buffered, 0);
  decoder.push(new Uint8Array([0, 0]));
  assertEquals(decoder.buffered, 2);
  decoder.push(new Uint8Array([0, 5, 1, 2]));
  assertEquals(decoder.buffered, 6);
  assertEquals(decoder.push(new Uint8Array([3, 4, 5, 0])), [new Uint8Array([1, 2, 3, 4, 5])]);
  assertEquals(decoder.buffered, 1);
});

Deno.test("FrameDecoder.push() rejects maxFrame + 1 as soon as the header is known", () => {
  const decoder = new FrameDecoder({ maxFrame: 100 });
  assertEquals(decoder.push(encodeFrame(payloadOf(100, 0))).length, 1);
  const header = new Uint8Array(4);
  writeFrameHeader(header, 0, 101);
  const error = assertThrows(() => decoder.push(header), FrameError) as FrameError;
  assertEquals([error.reason, error.length, error.max], ["too-large", 101, 100]);
  // The stream is poisoned: the same error again, even for an empty chunk.
  assertEquals(assertThrows(() => decoder.push(new Uint8Array(0)), FrameError), error);
});

Deno.test("FrameDecoder.push() rejects DEFAULT_MAX_FRAME + 1 with a message quoting both", () => {
  const header = new Uint8Array(4);
  writeFrameHeader(header, 0, DEFAULT_MAX_FRAME + 1);
  const decoder = new FrameDecoder();
  decoder.push(header.subarray(0, 3));
  const error = assertThrows(() => decoder.push(header.subarray(3)), FrameError);
  assertEquals(
    error.message,
    "Cannot decode frame: length 16777217 exceeds the maximum 16777216 (raise maxFrame or send smaller messages)",
  );
});

Deno.test("FrameDecoder.push() rejects a 0xFFFFFFFF length", () => {
  const decoder = new FrameDecoder();
  const error = assertThrows(
    () => decoder.push(new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2, 3])),
    FrameError,
    "length 4294967295",
  ) as FrameError;
  assertEquals([error.reason, error.length], ["too-large", 0xffffffff]);
});

Deno.test("FrameDecoder.end() throws truncated when the stream ends mid-header", () => {
  const decoder = new FrameDecoder();
  decoder.push(new Uint8Array([0, 0]));
  const error = assertThrows(() => decoder.end(), FrameError, "2 of 4 header bytes") as FrameError;
  assertEquals([error.reason, error.length, error.received], ["truncated", undefined, 2]);
  decoder.end(); // reset: a second end has nothing buffered
});

Deno.test("FrameDecoder.end() throws truncated when the stream ends mid-payload", () => {
  const decoder = new FrameDecoder();
  decoder.push(encodeFrame(payloadOf(100, 0)).subarray(0, 40));
  const error = assertThrows(() => decoder.end(), FrameError, "36 of 100 payload") as FrameError;
  assertEquals([error.reason, error.length, error.received], ["truncated", 100, 36]);
});

Deno.test("FrameDecoder.end() accepts a stream that ends between frames", () => {
  const decoder = new FrameDecoder();
  assertEquals(decoder.push(wireOf([payloadOf(3, 0), payloadOf(0, 0)])).length, 2);
  decoder.end();
});

Deno.test("FrameDecoder() rejects a maxFrame outside 0..0xFFFFFFFF", () => {
  for (const maxFrame of [-1, 1.5, 2 ** 32, Number.NaN]) {
    assertThrows(() => new FrameDecoder({ maxFrame }), RangeError, `maxFrame ${maxFrame}`);
  }
});

Deno.test("FrameDecoder.push() asks reserve before each allocation and fails for good when refused", () => {
  const asked: number[] = [];
  let allow = true;
  const decoder = new FrameDecoder({
    reserve: (bytes) => {
      asked.push(bytes);
      if (!allow) throw new RangeError("no memory left");
    },
  });
  const wire = encodeFrame(new Uint8Array(200_000).fill(3));
  decoder.push(wire.subarray(0, 10));
  assertEquals(decoder.held, 65_536);
  assertEquals(decoder.pending, "payload");
  decoder.push(wire.subarray(10, 70_000));
  assertEquals(asked, [65_536, 65_536]);
  assertEquals(decoder.held, 131_072);
  allow = false;
  assertThrows(() => decoder.push(wire.subarray(70_000, 140_000)), RangeError, "no memory left");
  assertEquals(decoder.held, 131_072, "nothing allocated past the refusal");
  assertThrows(() => decoder.push(wire.subarray(140_000)), RangeError, "no memory left");
});
