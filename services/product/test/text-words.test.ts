import { describe, expect, it } from "vitest";
import { lookupWords, rarestWord } from "../src/db/text-words.js";

describe("the words of a text query the index can look up", () => {
  it.each([
    ["steel kettle", ["steel", "kettle"]],
    ["  steel   kettle ", ["steel", "kettle"]],
    ["kettle kettle", ["kettle"]],
    ["a big kettle", ["big", "kettle"]],
    ["xl", []],
    ["100% cotton", ["100%", "cotton"]],
    ["kettle\nfor tea", []],
  ])("of %j are %j", (text, words) => {
    expect(lookupWords(text)).toEqual(words);
  });
});

describe("the word the index looks up", () => {
  it.each([
    [["product", "4242"], [999_900, 100], "4242"],
    [["4242", "product"], [100, 999_900], "4242"],
    [["steel", "kettle"], [100, 100], "kettle"],
    [["kettle", "steel"], [100, 100], "kettle"],
    [["steel", "kettle"], [5, Number.POSITIVE_INFINITY], "steel"],
  ] as const)("of %j with estimates %j is %s", (words, rows, word) => {
    expect(rarestWord(words, rows)).toBe(word);
  });

  it("is none without words", () => {
    expect(rarestWord([], [])).toBeUndefined();
  });
});
