import { inspect } from "node:util";
import { appendNodeHeaders, type NodeHeaderObject } from "./http2-headers.js";

/** An HTTP token (RFC 9110 `tchar`s): the header names undici's Headers accepts. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/**
 * A value undici's Headers keeps exactly as given: nothing to strip at either end, no NUL, CR or
 * LF to refuse, nothing beyond Latin-1 (node gives header values as Latin-1 text).
 */
const PLAIN_VALUE =
  /^(?:[^\0\t\n\r \u0100-\uffff](?:[^\0\n\r\u0100-\uffff]*[^\0\t\n\r \u0100-\uffff])?)?$/;

/** Undici's own methods, called on this class's objects once they hold every header. */
const UNDICI = Headers.prototype;
const UNDICI_INSPECT = Reflect.get(UNDICI, inspect.custom) as (...args: unknown[]) => unknown;

type Pairs = Record<string, string | readonly string[] | number | undefined>;

/** A request's headers as web Headers, read from node's object while they can be (see below). */
export function requestHeaders(node: NodeHeaderObject): Headers {
  return new RequestHeaders(node) as unknown as Headers;
}

/**
 * A request's headers as the web Headers `webHeaders` makes of them (undici in node 24, as
 * connect-node reads a request), read in place from node's header object until something needs
 * undici's own: a unary call's interceptors mostly `get` a few names and `set` one (observe's
 * `x-request-id`), while making the Headers checked and copied every header of every call.
 *
 * `get` and `has` answer from node's object, and a `set` of a plain value is kept beside it.
 * Anything else — a name that is not a token (undici throws its TypeError), a value that is not
 * plain or is repeated, `set-cookie`, `append`, `delete`, iteration, inspection — first appends
 * what `webHeaders` would have, sets included, and from then on every method is undici's.
 */
class RequestHeaders extends (Headers as new () => object) {
  /** Node's headers (pseudo-headers included, as node gives them) until they are appended. */
  #pairs: Pairs | undefined;
  /** Values `set` while node's object answers, by lower-cased name: they replace its own. */
  #sets: Map<string, string> | undefined;

  constructor(node: NodeHeaderObject) {
    super();
    this.#pairs = node as Pairs;
  }

  get(name: string): string | null {
    const key = this.#key(name);
    if (key !== undefined) {
      const value = this.#value(key);
      if (value === undefined) return null;
      // A repeated header (node gives only set-cookie so) is left to undici to join.
      if (typeof value === "string" && PLAIN_VALUE.test(value)) return value;
    }
    this.#fill();
    return UNDICI.get.call(this, name);
  }

  has(name: string): boolean {
    const key = this.#key(name);
    if (key !== undefined) return this.#value(key) !== undefined;
    this.#fill();
    return UNDICI.has.call(this, name);
  }

  set(name: string, value: string): void {
    const key = this.#key(name);
    const plain =
      key !== undefined &&
      key !== "set-cookie" &&
      typeof value === "string" &&
      PLAIN_VALUE.test(value);
    if (!plain) {
      this.#fill();
      UNDICI.set.call(this, name, value);
      return;
    }
    this.#sets ??= new Map();
    this.#sets.set(key, value);
  }

  append(name: string, value: string): void {
    this.#fill();
    UNDICI.append.call(this, name, value);
  }

  delete(name: string): void {
    this.#fill();
    UNDICI.delete.call(this, name);
  }

  getSetCookie(): string[] {
    this.#fill();
    return UNDICI.getSetCookie.call(this);
  }

  forEach(
    callback: (value: string, key: string, parent: Headers) => void,
    thisArg?: unknown,
  ): void {
    this.#fill();
    UNDICI.forEach.call(this, callback, thisArg);
  }

  entries(): ReturnType<Headers["entries"]> {
    this.#fill();
    return UNDICI.entries.call(this);
  }

  keys(): ReturnType<Headers["keys"]> {
    this.#fill();
    return UNDICI.keys.call(this);
  }

  values(): ReturnType<Headers["values"]> {
    this.#fill();
    return UNDICI.values.call(this);
  }

  // A method of its own, not Headers.prototype.entries: undici copies a Headers whose iterator
  // is that one from its list directly, which would miss headers not yet appended.
  [Symbol.iterator](): ReturnType<Headers["entries"]> {
    this.#fill();
    return UNDICI.entries.call(this);
  }

  [inspect.custom](...args: unknown[]): unknown {
    this.#fill();
    return UNDICI_INSPECT.apply(this, args);
  }

  /** The lower-cased name while node's object answers and the name is a token; else undefined. */
  #key(name: string): string | undefined {
    if (this.#pairs === undefined || typeof name !== "string" || !TOKEN.test(name))
      return undefined;
    return name.toLowerCase();
  }

  /** A header's value as set, else its own value in node's object (not one an object inherits). */
  #value(key: string) {
    const set = this.#sets?.get(key);
    if (set !== undefined) return set;
    const pairs = this.#pairs as Pairs;
    if (!Object.hasOwn(pairs, key)) return undefined;
    const value = pairs[key];
    return Array.isArray(value) && value.length === 0 ? undefined : value;
  }

  /** Fills undici's own list with what `webHeaders` would have made, sets applied. */
  #fill(): void {
    const pairs = this.#pairs;
    if (pairs === undefined) return;
    const sets = this.#sets;
    this.#pairs = undefined;
    this.#sets = undefined;
    appendNodeHeaders(pairs, (name, value) => {
      if (!sets?.has(name)) UNDICI.append.call(this, name, value);
    });
    sets?.forEach((value, name) => {
      UNDICI.append.call(this, name, value);
    });
  }
}
