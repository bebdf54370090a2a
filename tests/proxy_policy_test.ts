/**
 * The pure HTTP caching rules (RFC 9111) the proxy is built on: Cache-Control parsing,
 * freshness lifetime, age, storability, Vary keys, conditional checks; and request coalescing.
 * @module
 */
import { parseCacheControl } from "../proxy/cache_control.ts";
import { Coalescer } from "../proxy/coalescer.ts";
import {
  currentAge,
  freshnessLifetime,
  ifNoneMatchHits,
  initialAge,
  isStorable,
  notModifiedSince,
  parseHttpDate,
  secondaryKey,
  varyNames,
} from "../proxy/http_cache_policy.ts";
import { assertEquals, assertRejects } from "./_assert.ts";

const DATE = "Sun, 06 Nov 1994 08:49:37 GMT";
const T = Date.parse(DATE);

Deno.test("parseCacheControl() reads directives case-insensitively, first occurrence winning", () => {
  const cc = parseCacheControl('Max-Age=5, max-age=9, PRIVATE, no-cache="a, b", stale-if-error=30');
  assertEquals([cc.maxAge, cc.private, cc.staleIfError], [5, true, 30]);
  // The qualified form omits the listed fields; it does not force revalidation.
  assertEquals([cc.noCache, cc.noCacheFields], [false, ["a", "b"]]);
  assertEquals(cc.noStore, false);
});

Deno.test("parseCacheControl() reads a bad max-age as 0 and ignores junk", () => {
  assertEquals(parseCacheControl("max-age=-1").maxAge, 0);
  assertEquals(parseCacheControl('max-age="10"').maxAge, 10);
  assertEquals(parseCacheControl(",,=, foo, s-maxage=x").sMaxAge, 0);
  assertEquals(parseCacheControl("max-age=99999999999").maxAge, 2 ** 31);
  assertEquals(parseCacheControl("stale-if-error=soon").staleIfError, undefined);
});

Deno.test("freshnessLifetime() prefers s-maxage, then max-age, then Expires - Date", () => {
  const at = (headers: Record<string, string>) =>
    freshnessLifetime(new Headers(headers), { responseTime: T });
  assertEquals(at({ "cache-control": "max-age=10, s-maxage=20", expires: DATE }), 20_000);
  assertEquals(
    at({ "cache-control": "max-age=10", expires: "Sun, 06 Nov 1994 09:00:00 GMT" }),
    10_000,
  );
  assertEquals(at({ date: DATE, expires: "Sun, 06 Nov 1994 08:50:37 GMT" }), 60_000);
  assertEquals(at({ expires: "Sun, 06 Nov 1994 08:50:37 GMT" }), 60_000);
  assertEquals(at({ date: DATE, expires: "Sat, 05 Nov 1994 08:49:37 GMT" }), 0);
  assertEquals(at({ expires: "-1" }), 0);
  assertEquals(at({}), 0);
});

Deno.test("freshnessLifetime() gives 10% of the Last-Modified age, at most a day", () => {
  const headers = (lastModified: string) =>
    new Headers({ date: DATE, "last-modified": lastModified });
  assertEquals(
    freshnessLifetime(headers("Sun, 06 Nov 1994 07:49:37 GMT"), { responseTime: T }),
    360_000,
  );
  assertEquals(
    freshnessLifetime(headers("Sun, 06 Nov 1974 08:49:37 GMT"), { responseTime: T }),
    86_400_000,
  );
  assertEquals(
    freshnessLifetime(headers("Sun, 06 Nov 1994 07:49:37 GMT"), { responseTime: T, status: 302 }),
    0,
  );
});

Deno.test("initialAge() takes the larger of apparent age and Age plus the response delay", () => {
  const timing = { requestTime: T + 1000, responseTime: T + 3000 };
  assertEquals(initialAge(new Headers({ date: DATE }), timing), 3000);
  assertEquals(initialAge(new Headers({ date: DATE, age: "10" }), timing), 12_000);
  assertEquals(initialAge(new Headers({ age: "bad" }), timing), 2000);
  assertEquals(currentAge(new Headers({ date: DATE }), timing, T + 10_000), 10_000);
});

Deno.test("isStorable() follows RFC 9111 §3 for a shared cache", () => {
  const get = { method: "GET", headers: new Headers() };
  const response = (status: number, headers: Record<string, string> = {}) => ({
    status,
    headers: new Headers(headers),
  });
  const cases: [boolean, boolean][] = [
    [isStorable(get, response(200)), true],
    [isStorable(get, response(302)), false],
    [isStorable(get, response(302, { "cache-control": "max-age=5" })), true],
    [isStorable(get, response(206, { "cache-control": "max-age=5" })), false],
    [isStorable(get, response(200, { vary: "*" })), false],
    [isStorable(get, response(200, { "set-cookie": "a=1" })), false],
    [isStorable(get, response(200, { "set-cookie": "a=1", "cache-control": "public" })), false],
    [
      isStorable(get, response(200, { "set-cookie": "a=1", "cache-control": "max-age=5" }), {
        cacheCookies: true,
      }),
      true,
    ],
    [isStorable({ method: "POST", headers: new Headers() }, response(200)), false],
    [
      isStorable({ method: "GET", headers: new Headers({ authorization: "x" }) }, response(200)),
      false,
    ],
    [
      isStorable(
        { method: "GET", headers: new Headers({ authorization: "x" }) },
        response(200, { "cache-control": "s-maxage=5" }),
      ),
      true,
    ],
    [
      isStorable(
        { method: "GET", headers: new Headers({ "cache-control": "no-store" }) },
        response(200),
      ),
      false,
    ],
  ];
  assertEquals(cases.map(([actual]) => actual), cases.map(([, expected]) => expected));
});

Deno.test("varyNames() and secondaryKey() select variants by request headers", () => {
  assertEquals(varyNames(new Headers({ vary: "Accept, *" })), "*");
  const names = varyNames(new Headers({ vary: "Accept-Encoding ,Accept" })) as string[];
  const key = (headers: Record<string, string>) => secondaryKey(names, new Headers(headers));
  assertEquals(
    key({ accept: "a", "accept-encoding": "gzip" }),
    key({ accept: "a", "accept-encoding": " gzip " }),
  );
  assertEquals(key({ accept: "a" }) === key({ accept: "a", "accept-encoding": "" }), false);
});

Deno.test("ifNoneMatchHits() and notModifiedSince() decide conditional requests", () => {
  assertEquals(ifNoneMatchHits('W/"1"', '"1"'), true);
  assertEquals(ifNoneMatchHits('"2", "3"', 'W/"3"'), true);
  assertEquals(ifNoneMatchHits('"2"', '"1"'), false);
  assertEquals(notModifiedSince("Sun, 06 Nov 1994 09:00:00 GMT", DATE), true);
  assertEquals(notModifiedSince("Sun, 06 Nov 1994 08:00:00 GMT", DATE), false);
  assertEquals(parseHttpDate("yesterday"), undefined);
});

Deno.test("Coalescer() shares a failure with every caller and runs again afterwards", async () => {
  const coalescer = new Coalescer<number>();
  let runs = 0;
  const failing = () => {
    runs++;
    return Promise.reject(new RangeError("origin down"));
  };
  const calls = [coalescer.run("k", failing), coalescer.run("k", failing)];
  for (const call of calls) await assertRejects(() => call, RangeError, "origin down");
  assertEquals([runs, coalescer.inFlight], [1, 0]);
  assertEquals((await coalescer.run("k", () => Promise.resolve(7))).value, 7);
});

Deno.test("parseHttpDate() reads the three HTTP date forms only, with RFC 850's two-digit-year rule", () => {
  const now = Date.UTC(2026, 0, 1);
  assertEquals(
    parseHttpDate("Thursday, 18-Aug-50 02:01:18 GMT", { now }),
    Date.UTC(2050, 7, 18, 2, 1, 18),
  );
  // 2099 would be more than 50 years ahead: the most recent past year ending in 99.
  assertEquals(parseHttpDate("Friday, 01-Jan-99 00:00:00 GMT", { now }), Date.UTC(1999, 0, 1));
  assertEquals(parseHttpDate("Thu Aug 18 02:01:18 2050"), Date.UTC(2050, 7, 18, 2, 1, 18));
  for (
    const bad of [
      "Thu, 18 Aug 2050 02:01:18 UTC",
      "Thu, 18 Aug 50 02:01:18 GMT",
      "Thu 18 Aug 2050 02:01:18 GMT",
      "Thu, 18  Aug  2050 02:01:18 GMT",
      "Thu, 18-Aug-2050 02:01:18 GMT",
      "Thu, 18 Aug 2050 02.01.18 GMT",
      "Thu, 18 Aug 2050 2:01:18 GMT",
      "Thu, 31 Feb 2050 02:01:18 GMT",
      "2050-08-18T02:01:18Z",
    ]
  ) assertEquals(parseHttpDate(bad), undefined, bad);
});
