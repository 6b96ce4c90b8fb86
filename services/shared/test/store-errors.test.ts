import { describe, expect, it } from "vitest";
import { DependencyTimeout, DependencyUnavailable, NotFound } from "#shared/errors";
import { callStore, guardStore, storeFailureOf, toStoreError } from "#shared/store-errors";

const STORE = { name: "test store", deadlineMs: 50 };
const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

describe("storeFailureOf", () => {
  it.each([
    [
      "a driver error wrapped as a cause",
      new Error("Failed query", { cause: coded("ECONNREFUSED") }),
      "unavailable",
    ],
    [
      "a cause two links down",
      new Error("a", { cause: new Error("b", { cause: coded("57P01") }) }),
      "unavailable",
    ],
    [
      "one of an AggregateError's errors",
      new AggregateError([coded("ECONNREFUSED")]),
      "unavailable",
    ],
    ["a message-only mysql2 error", new Error("Pool is closed."), "unavailable"],
    ["a driver's query timeout", coded("PROTOCOL_SEQUENCE_TIMEOUT"), "timeout"],
    ["a unique violation", coded("23505"), undefined],
    ["a protocol violation (a bug, not an outage)", coded("08P01"), undefined],
    ["a domain error", new NotFound("product", 1), undefined],
    ["a string", "ECONNREFUSED", undefined],
  ])("classifies %s", (_name, error, failure) => {
    expect(storeFailureOf(error)).toBe(failure);
  });

  it("stops on a cause chain that loops", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    Object.assign(a, { cause: b });
    expect(storeFailureOf(a)).toBeUndefined();
  });
});

describe("toStoreError", () => {
  it("puts store failures in our words and keeps the driver's error as the cause", () => {
    const driver = coded("ECONNRESET");
    const error = toStoreError(driver, STORE.name);
    expect(error).toBeInstanceOf(DependencyUnavailable);
    expect(error).toMatchObject({ message: "test store is unavailable", cause: driver });
  });

  it("returns any other error as it is", () => {
    const refusal = new NotFound("product", 1);
    expect(toStoreError(refusal, STORE.name)).toBe(refusal);
  });
});

describe("callStore and guardStore", () => {
  it("fail with DependencyTimeout when the call outlives the deadline", async () => {
    const never = () => new Promise<never>(() => {});
    await expect(callStore(STORE, never)).rejects.toThrow(DependencyTimeout);
  });

  it("fail each call at its own deadline while others of the same store answer", async () => {
    const guard = { name: "queued store", deadlineMs: 40 };
    const settled: string[] = [];
    const track = (name: string, call: Promise<unknown>) =>
      call.then(
        () => settled.push(`${name} answered`),
        (error) =>
          settled.push(`${name} ${error instanceof DependencyTimeout ? "timed out" : error}`),
      );
    const first = track(
      "first",
      callStore(guard, () => new Promise(() => {})),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = track(
      "second",
      callStore(guard, () => new Promise(() => {})),
    );
    const quick = track(
      "quick",
      callStore(guard, async () => 1),
    );
    // another deadline length keeps its own order
    const short = callStore({ name: "short", deadlineMs: 5 }, () => new Promise(() => {}));
    await expect(short).rejects.toThrow("short did not answer in time");
    await Promise.all([first, second, quick]);
    expect(settled).toEqual(["quick answered", "first timed out", "second timed out"]);
  });

  it("keep the deadline's answer when the store answers or fails after it", async () => {
    let answer: (value: number) => void = () => {};
    let fail: (error: unknown) => void = () => {};
    const late = callStore(STORE, () => new Promise<number>((resolve) => (answer = resolve)));
    const lateFailure = callStore(STORE, () => new Promise((_, reject) => (fail = reject)));
    await expect(late).rejects.toThrow(DependencyTimeout);
    await expect(lateFailure).rejects.toThrow(`${STORE.name} did not answer in time`);
    answer(1);
    fail(coded("ECONNRESET")); // handled: no unhandled rejection fails the run
    await expect(late).rejects.toThrow(DependencyTimeout);
  });

  it("answer in time with the store's own result or failure, whatever came before", async () => {
    await expect(callStore(STORE, () => new Promise(() => {}))).rejects.toThrow(DependencyTimeout);
    expect(await callStore(STORE, async () => "fresh")).toBe("fresh");
    await expect(callStore(STORE, () => Promise.reject(coded("ECONNREFUSED")))).rejects.toThrow(
      DependencyUnavailable,
    );
  });

  it("translate what a method throws, synchronously or not, and pass results through", async () => {
    const repository = guardStore(
      {
        get: async (id: number) => id * 2,
        refuse: async () => {
          throw new NotFound("product", 7);
        },
        down: () => {
          throw coded("CONNECTION_CLOSED");
        },
      },
      STORE,
    );
    expect(await repository.get(21)).toBe(42);
    await expect(repository.refuse()).rejects.toThrow(NotFound);
    await expect(repository.down()).rejects.toThrow(DependencyUnavailable);
  });
});
