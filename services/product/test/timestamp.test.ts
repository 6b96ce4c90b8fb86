import { describe, expect, it } from "vitest";
import { parseTimestamp } from "../src/db/timestamp.js";

/** What every timestamp went through before the digit-by-digit reading: the ISO form. */
function viaIso(text: string): number {
  return new Date(text.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00")).getTime();
}

const pad = (value: number, width: number) => String(value).padStart(width, "0");

describe("parseTimestamp", () => {
  it.each([
    ["2026-01-02 03:04:05.123456+00", Date.UTC(2026, 0, 2, 3, 4, 5, 123)],
    ["2026-01-02 03:04:05.9+00", Date.UTC(2026, 0, 2, 3, 4, 5, 900)],
    ["2026-01-02 03:04:05.05+00", Date.UTC(2026, 0, 2, 3, 4, 5, 50)],
    ["2026-01-02 03:04:05.0009+00", Date.UTC(2026, 0, 2, 3, 4, 5, 0)],
    ["2026-01-02 03:04:05+00", Date.UTC(2026, 0, 2, 3, 4, 5)],
    ["1999-12-31 23:59:59.999999+00", Date.UTC(1999, 11, 31, 23, 59, 59, 999)],
    ["2024-02-29 12:00:00+00", Date.UTC(2024, 1, 29, 12)],
    ["2026-01-02 05:04:05.5+02", Date.UTC(2026, 0, 2, 3, 4, 5, 500)],
    ["2026-01-02 03:04:05-05", Date.UTC(2026, 0, 2, 8, 4, 5)],
    ["0050-06-01 00:00:00+00", new Date("0050-06-01T00:00:00Z").getTime()],
  ])("reads %s to the millisecond", (text, ms) => {
    expect(parseTimestamp(text).getTime()).toBe(ms);
  });

  it("reads every UTC form as the ISO route does", () => {
    let seed = 11;
    const random = (below: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % below;
    };
    for (let i = 0; i < 20_000; i++) {
      const fraction = random(7);
      const text =
        `${pad(1900 + random(250), 4)}-${pad(1 + random(12), 2)}-${pad(1 + random(31), 2)} ` +
        `${pad(random(24), 2)}:${pad(random(60), 2)}:${pad(random(60), 2)}` +
        (fraction ? `.${pad(random(10 ** fraction), fraction)}` : "") +
        "+00";
      expect([text, parseTimestamp(text).getTime()]).toEqual([text, viaIso(text)]);
    }
  });

  it.each([
    "",
    "yesterday",
    "2026-01-02 03:04:05.+00",
    "2026-13-02 03:04:05+00",
    "2026-01-02 03:04:61+00",
    "2026-0a-02 03:04:05+00",
  ])("refuses %j", (text) => {
    expect(() => parseTimestamp(text)).toThrow(`unreadable timestamp "${text}"`);
  });
});
