/**
 * Adds getters to objects made on every call: own, enumerable and configurable, as an object
 * literal's `get name() {…}` makes them (a spread, `Object.keys` and `in` see the same object),
 * but one set of functions for every object, each reading the call's state from the object it is
 * read on (`this`). Make the adder once, at module level, and give it each object as it is made.
 *
 * Not the literal: V8 gives each object literal with accessors a dictionary of its own and
 * getters of its own, and such objects, with what their getters' closures hold, do not die young.
 * Measured in the product service (issue 11): its unary requests' two literal getters had about
 * 3 KB of every call's objects — the call's whole graph, reached through the closures — promoted
 * to the old generation, whatever the size of the young one, for 12–21 µs more GC per call and
 * twice the full collections of the grpc-js peer; with these getters, as many as the peer's. A
 * loop keeping the last 1 000 of such literals promotes 15 % of what it allocates; with these
 * getters, none. They are not free either: `Object.defineProperties` took 4–6 µs per object in
 * the loaded product process (0.6 µs in a loop), where a class with the getters on its prototype
 * takes 0.6 µs — but a spread of such an object would lose the getters' fields.
 */
export function lazyFields<State extends object, Fields extends object>(
  getters: {
    readonly [Name in keyof Fields]: (this: State) => Fields[Name];
  },
): <T extends State>(target: T) => T & Fields {
  const descriptors: PropertyDescriptorMap = {};
  for (const [name, get] of Object.entries<() => unknown>(getters)) {
    descriptors[name] = { get, enumerable: true, configurable: true };
  }
  return (target) => Object.defineProperties(target, descriptors) as typeof target & Fields;
}
