/**
 * `portcullis logs --since`: a relative age (`30s`, `15m`, `1h`, `7d`) or an ISO-8601 timestamp. Strict, because a
 * lenient Date.parse would quietly turn a typo into some other point in time and show the wrong rows.
 */

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

const RELATIVE = /^(\d{1,9})([smhd])$/;
// Date, or date and time with optional seconds, fraction and zone (Z or ±HH:MM). Without a zone a date-time is
// local time and a bare date is UTC midnight, as ECMAScript reads them.
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))?)?$/;

/** Turns a `--since` value into ms since the epoch, relative to `now`; throws an Error saying what is accepted. */
export function parseSince(text: string, now: number): number {
  const value = text.trim();
  const relative = RELATIVE.exec(value);
  if (relative) {
    const [, amount = '', unit = ''] = relative;
    return now - Number(amount) * (UNIT_MS[unit] ?? Number.NaN);
  }
  const iso = ISO.exec(value);
  if (iso && isValidDateTime(iso)) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return ms;
  }
  throw new Error(
    `invalid --since "${text}": use a number and a unit (30s, 15m, 1h, 7d) or an ISO-8601 time (2025-06-01T09:00:00Z)`,
  );
}

function isValidDateTime(parts: RegExpExecArray): boolean {
  const [, year, month, day, hour = '0', minute = '0', second = '0', zoneHour = '0', zoneMinute = '0'] = parts;
  const y = Number(year);
  const m = Number(month);
  const d = Number(day);
  // Day 0 of the next month is the last day of this one; Date.parse alone would accept 2025-02-30.
  const daysInMonth = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return (
    m >= 1 &&
    m <= 12 &&
    d >= 1 &&
    d <= daysInMonth &&
    Number(hour) <= 23 &&
    Number(minute) <= 59 &&
    Number(second) <= 59 &&
    Number(zoneHour) <= 23 &&
    Number(zoneMinute) <= 59
  );
}
