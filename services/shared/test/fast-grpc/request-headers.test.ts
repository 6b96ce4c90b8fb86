import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { type NodeHeaderObject, webHeaders } from "../../src/fast-grpc/http2-headers.js";
import { requestHeaders } from "../../src/fast-grpc/request-headers.js";

/** What node:http2 gives a handler: pseudo-headers, a null prototype, set-cookie repeated. */
function http2Object(): NodeHeaderObject {
  return Object.assign(Object.create(null), {
    ":method": "POST",
    ":path": "/shop.product.v1.ProductService/GetProduct",
    ":authority": "127.0.0.1:50050",
    "content-type": "application/grpc",
    te: "trailers",
    "user-agent": "grpc-node-js/1.14.0",
    "x-request-id": "r-1",
    authorization: "Bearer a.b.c",
    cookie: "a=1; b=2",
    "set-cookie": ["x=1", "y=2"],
    "x-empty": "",
    "x-inner": "a  b\tc",
    "x-latin1": "caf\u00e9",
  });
}

/** What node:http gives for HTTP/1.1: an ordinary object (its prototype's names are not headers). */
function http1Object(): NodeHeaderObject {
  return { host: "127.0.0.1:50050", "content-type": "application/json", "x-request-id": "r-2" };
}

type Use = (headers: Headers) => unknown;

/** Runs the same steps on both and returns what each step gave, or the error it threw. */
function outcomes(headers: Headers, uses: readonly Use[]) {
  return uses.map((use) => {
    try {
      return { value: use(headers) };
    } catch (error) {
      return { threw: `${(error as Error).constructor.name}: ${(error as Error).message}` };
    }
  });
}

const all: Use = (h) => [...h];

/** Each sequence of uses must give the same results on both Headers, step for step. */
const CASES: Record<string, readonly Use[]> = {
  "reads names in any case": [
    (h) => h.get("Content-Type"),
    (h) => h.get("X-REQUEST-ID"),
    (h) => h.has("authorization"),
    (h) => h.get("missing"),
    (h) => h.has("missing"),
    (h) => h.get("x-empty"),
    (h) => h.get("x-inner"),
    (h) => h.get("x-latin1"),
    (h) => h.get("cookie"),
    all,
  ],
  "never reads a pseudo-header or an inherited name": [
    (h) => h.has("constructor"),
    (h) => h.get("__proto__"),
    (h) => h.get("toString"),
    (h) => h.get(":path"),
    all,
  ],
  "throws undici's TypeError for a name that is not a token": [
    (h) => h.get("bad name"),
    (h) => h.has(""),
    (h) => h.set("bad name", "x"),
    all,
  ],
  "joins a repeated header as undici does": [(h) => h.get("set-cookie"), (h) => h.getSetCookie()],
  "sets a plain value, then iterates": [
    (h) => h.set("X-Request-Id", "r-9"),
    (h) => h.get("x-request-id"),
    (h) => h.set("x-new", "v"),
    (h) => h.has("x-new"),
    all,
  ],
  "sets a value undici trims or refuses": [
    (h) => h.set("x-pad", "  padded\t"),
    (h) => h.get("x-pad"),
    (h) => h.set("x-nl", "a\nb"),
    (h) => h.set("x-wide", "\u0100"),
    all,
  ],
  "replaces a repeated header with set": [
    (h) => h.set("set-cookie", "z=3"),
    (h) => h.getSetCookie(),
    all,
  ],
  "sets a header named __proto__": [
    (h) => h.set("__proto__", "p"),
    (h) => h.get("__proto__"),
    (h) => h.has("constructor"),
    all,
  ],
  "appends and deletes": [
    (h) => h.append("x-request-id", "r-3"),
    (h) => h.get("x-request-id"),
    (h) => h.delete("authorization"),
    (h) => h.has("authorization"),
    (h) => h.set("te", "gzip"),
    all,
  ],
  "walks with forEach, keys, values and entries": [
    (h) => {
      const seen: string[] = [];
      h.forEach((value, name) => {
        seen.push(`${name}=${value}`);
      });
      return seen;
    },
    (h) => [...h.keys()],
    (h) => [...h.values()],
    (h) => [...h.entries()],
  ],
  "is copied whole by new Headers": [(h) => h.set("x-set", "1"), (h) => [...new Headers(h)]],
  "reads after a set, then after iterating": [
    (h) => h.set("x-request-id", "r-7"),
    all,
    (h) => h.get("x-request-id"),
    (h) => h.set("x-after", "1"),
    all,
  ],
};

describe("requestHeaders", () => {
  for (const [made, object] of [
    ["HTTP/2", http2Object],
    ["HTTP/1.1", http1Object],
  ] as const) {
    for (const [name, uses] of Object.entries(CASES)) {
      it(`${name}, exactly as the Headers webHeaders makes (${made} headers)`, () => {
        expect(outcomes(requestHeaders(object()), uses)).toEqual(
          outcomes(webHeaders(object()), uses),
        );
      });
    }
  }

  it("is a Headers, and inspects as one", () => {
    const headers = requestHeaders(http2Object());
    expect(headers).toBeInstanceOf(Headers);
    expect(inspect(headers)).toBe(inspect(webHeaders(http2Object())));
  });

  it("leaves node's header object as it was", () => {
    const object = http2Object();
    const headers = requestHeaders(object);
    headers.set("x-request-id", "changed");
    headers.append("x-more", "1");
    expect(object).toEqual(http2Object());
  });
});
