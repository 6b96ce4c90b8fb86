/**
 * PostgreSQL's timestamptz text, e.g. "2026-01-02 03:04:05.123456+00", as a Date (to the
 * millisecond, the extra digits dropped, as `new Date` drops them).
 *
 * Every product read converts two of these. Text in the one form a UTC session sends — four-digit
 * year, `+00`, up to six fraction digits — is read digit by digit; anything else (another offset,
 * a BC or five-digit year) takes the ISO route through `new Date`, as all text once did.
 */
export function parseTimestamp(text: string): Date {
  return new Date(timestampMillis(text));
}

/** The same instant as `parseTimestamp`, in milliseconds since the epoch, without a Date. */
export function timestampMillis(text: string): number {
  const ms = utcMillis(text);
  if (ms !== undefined) return ms;
  const iso = text.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00");
  const time = new Date(iso).getTime();
  if (Number.isNaN(time)) throw new Error(`unreadable timestamp "${text}"`);
  return time;
}

/** "YYYY-MM-DD HH:MM:SS[.f…]+00" in milliseconds since the epoch; undefined for any other text. */
function utcMillis(t: string): number | undefined {
  const n = t.length;
  // 22 characters without a fraction, 24 to 29 with one to six digits
  if (n < 22 || n === 23 || n > 29 || !t.endsWith("+00")) return undefined;
  if (!at(t, 4, "-") || !at(t, 7, "-") || !at(t, 10, " ") || !at(t, 13, ":") || !at(t, 16, ":"))
    return undefined;
  if (n > 22 && !at(t, 19, ".")) return undefined;
  const year = digits(t, 0, 4);
  const month = digits(t, 5, 2);
  const day = digits(t, 8, 2);
  const hour = digits(t, 11, 2);
  const minute = digits(t, 14, 2);
  const second = digits(t, 17, 2);
  const places = n > 22 ? n - 23 : 0;
  const fraction = digits(t, 20, places);
  // Date.UTC reads years below 100 as 19xx; such text, and out-of-range fields, go the ISO way.
  if (year < 100 || month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59)
    return undefined;
  if (fraction < 0) return undefined;
  const ms =
    places <= 3 ? fraction * 10 ** (3 - places) : Math.floor(fraction / 10 ** (places - 3));
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

function at(text: string, index: number, char: string): boolean {
  return text.charCodeAt(index) === char.charCodeAt(0);
}

/** The decimal number of `length` digits at `start`; -1 when one of them is not a digit. */
function digits(text: string, start: number, length: number): number {
  let value = 0;
  for (let i = start; i < start + length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}
