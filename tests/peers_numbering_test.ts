/**
 * Numbering of heartbeat peers: read off the address when the initial peers are named by
 * position, through a map otherwise; both give every address the same number.
 * @module
 */
import { Numbering } from "../peers/_tracked.ts";
import { assertEquals } from "./_assert.ts";

Deno.test("Numbering by position gives the numbers a map would", () => {
  const list = Array.from({ length: 120 }, (_, i) => `peer@p${i}.lab`);
  // The same list with one name changed cannot be read by position: it uses the map.
  const mapped = [...list];
  mapped[119] = "peer@q119.lab";
  const byPosition = new Numbering(list), byMap = new Numbering(mapped);
  const asked = [
    "peer@p0.lab",
    "peer@p7.lab",
    "peer@p119.lab",
    "peer@p120.lab",
    "peer@p007.lab",
    "peer@p00.lab",
    "peer@p.lab",
    "peer@p1x.lab",
    "peer@p1.labx",
    "xpeer@p1.lab",
    "peer@p-1.lab",
    "peer@p99999999999999999999.lab",
    "peer@p120.lab",
  ];
  const expected = [0, 7, 119, 120, 121, 122, 123, 124, 125, 126, 127, 128, 120];
  assertEquals(asked.map((a) => byPosition.idOf(a)), expected);
  // Only the last initial name differs: the map numbers the others alike.
  assertEquals(asked.map((a) => byMap.idOf(a === "peer@p119.lab" ? "peer@q119.lab" : a)), expected);
  assertEquals(byPosition.names.slice(120), byMap.names.slice(120));
});

Deno.test("Numbering keeps the first number of an address listed twice", () => {
  const numbering = new Numbering(["a@p0", "a@p1", "a@p0"]);
  assertEquals([numbering.idOf("a@p0"), numbering.idOf("a@p1"), numbering.idOf("a@p2")], [0, 1, 3]);
});
