/**
 * HTTP dates by the letter of RFC 9110 §5.6.7: the preferred IMF-fixdate and the two obsolete
 * forms (RFC 850 with its two-digit year, and asctime), and nothing else. `Date.parse` accepts far
 * more (`UTC`, dashes, missing commas, one-digit hours), and a cache that reads such a value as a
 * date keeps responses the origin meant to be already stale.
 * @module
 */

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const LONG_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/** `Sun, 06 Nov 1994 08:49:37 GMT` */
const IMF_FIXDATE = /^([a-z]{3}), (\d{2}) ([a-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) gmt$/i;
/** `Sunday, 06-Nov-94 08:49:37 GMT` */
const RFC_850 = /^([a-z]{6,9}), (\d{2})-([a-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) gmt$/i;
/** `Sun Nov  6 08:49:37 1994` */
const ASCTIME = /^([a-z]{3}) ([a-z]{3}) ([\d ]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/i;

/** 2000-01-01T00:00:00Z: the reference for two-digit years when the caller gives no clock. */
const Y2K = 946_684_800_000;

function build(
  year: number,
  monthName: string,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number | undefined {
  const month = MONTHS.indexOf(monthName.toLowerCase());
  if (month < 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return undefined;
  }
  const ms = Date.UTC(year, month, day, hour, minute, Math.min(second, 59));
  // 31 Feb and friends roll over into the next month: not a date.
  return new Date(ms).getUTCDate() === day ? ms : undefined;
}

/**
 * Parses an HTTP date to ms since the epoch; `undefined` when it is none of the three forms.
 * Names are matched case-insensitively (as caches do in practice); everything else is strict:
 * `GMT` only, single spaces, two-digit hours, a comma after the day name. An RFC 850 year that
 * would lie more than 50 years after `now` is read as the most recent past year with those
 * digits (RFC 9110 §5.6.7).
 *
 * @example The three forms, and values `Date.parse` would wrongly accept
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseHttpDate } from "./http_date.ts";
 * const t = 784111777000;
 * assert.equal(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), t);
 * assert.equal(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), t);
 * assert.equal(parseHttpDate("Sun Nov  6 08:49:37 1994"), t);
 * assert.equal(parseHttpDate("Sun, 06 Nov 1994 08:49:37 UTC"), undefined);
 * assert.equal(parseHttpDate("Sun 06 Nov 1994 08:49:37 GMT"), undefined);
 * assert.equal(parseHttpDate("Sun, 06 Nov 1994 8:49:37 GMT"), undefined);
 * assert.equal(parseHttpDate("0"), undefined);
 * ```
 */
export function parseHttpDate(
  value: string | null | undefined,
  options: {
    /** The clock's time (ms since the epoch), for two-digit years. @default 2000-01-01T00:00:00Z */
    readonly now?: number;
  } = {},
): number | undefined {
  if (!value || value.length > 40) return undefined;
  const text = value.trim();
  let m = IMF_FIXDATE.exec(text);
  if (m !== null) {
    if (!DAYS.includes(m[1].toLowerCase())) return undefined;
    return build(Number(m[4]), m[3], Number(m[2]), Number(m[5]), Number(m[6]), Number(m[7]));
  }
  m = RFC_850.exec(text);
  if (m !== null) {
    if (!LONG_DAYS.includes(m[1].toLowerCase())) return undefined;
    const nowYear = new Date(options.now ?? Y2K).getUTCFullYear();
    let year = nowYear - (nowYear % 100) + Number(m[4]);
    if (year > nowYear + 50) year -= 100;
    return build(year, m[3], Number(m[2]), Number(m[5]), Number(m[6]), Number(m[7]));
  }
  m = ASCTIME.exec(text);
  if (m !== null) {
    if (!DAYS.includes(m[1].toLowerCase())) return undefined;
    return build(Number(m[7]), m[2], Number(m[3].trim()), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  return undefined;
}

/**
 * Formats ms since the epoch as an IMF-fixdate.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatHttpDate } from "./http_date.ts";
 * assert.equal(formatHttpDate(784111777000), "Sun, 06 Nov 1994 08:49:37 GMT");
 * ```
 */
export function formatHttpDate(ms: number): string {
  return new Date(ms).toUTCString();
}
