import { describe, expect, it } from "vitest";
import { lazyFields } from "#shared/lazy-fields";

const STATE = Symbol("state");
type State = { [STATE]: { reads: number; name: string } };
const withName = lazyFields<State, { name: string }>({
  name() {
    this[STATE].reads++;
    return this[STATE].name;
  },
});

describe("lazy fields", () => {
  it("are read from the object's state only when asked", () => {
    const state = { reads: 0, name: "a" };
    const made = withName({ id: 1, [STATE]: state });
    expect(state.reads).toBe(0);
    expect(made.name).toBe("a");
    expect(state.reads).toBe(1);
  });

  it("look like a literal's getters: own, enumerable, seen by a spread and Object.keys", () => {
    const made = withName({ id: 1, [STATE]: { reads: 0, name: "a" } });
    const literal = {
      id: 1,
      get name() {
        return "a";
      },
    };
    const { get, ...descriptor } = Object.getOwnPropertyDescriptor(made, "name") ?? {};
    const { get: _, ...literalDescriptor } = Object.getOwnPropertyDescriptor(literal, "name") ?? {};
    expect(descriptor).toEqual(literalDescriptor);
    expect(Object.keys(made)).toEqual(["id", "name"]);
    expect({ ...made }).toMatchObject({ id: 1, name: "a" });
    expect("name" in made).toBe(true);
  });

  it("are one set of functions for every object (no getters, and no dictionary, per object)", () => {
    const one = withName({ [STATE]: { reads: 0, name: "a" } });
    const other = withName({ [STATE]: { reads: 0, name: "b" } });
    const getter = (of: object) => Object.getOwnPropertyDescriptor(of, "name")?.get;
    expect(getter(one)).toBeTypeOf("function");
    expect(getter(one)).toBe(getter(other));
    expect([one.name, other.name]).toEqual(["a", "b"]);
  });
});
