import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANONYMOUS, SIGNED_IN, send, startGateway, type TestGateway } from "./support/harness.js";

// The gateway in front of fakes that check no rights: what it decides on its own.
let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startGateway();
});
afterAll(() => gateway?.close());

describe("the gateway's own auth decisions", () => {
  it("answers 401 early for an anonymous call of a non-public route: no upstream call", async () => {
    const reply = await send(gateway.port, "GET", "/baskets/alice", undefined, ANONYMOUS);
    expect(reply.status).toBe(401);
    expect(reply.headers["www-authenticate"]).toBe('Bearer realm="connect-shop"');
    expect(reply.json).toEqual({
      code: "unauthenticated",
      message: "this call needs a bearer token",
      details: [],
    });
    expect(gateway.calls).toEqual([]);
  });

  it("lets anonymous catalogue reads through and forwards a signed-in caller's token", async () => {
    // Whatever the fakes answer (they know no such rows), the calls reached them.
    await send(gateway.port, "GET", "/products/1", undefined, ANONYMOUS);
    await send(gateway.port, "GET", "/baskets/alice");
    expect(gateway.calls.map(({ rpc, authorization }) => [rpc, authorization])).toEqual([
      ["GetProduct", null],
      ["GetBasket", SIGNED_IN.authorization],
    ]);
  });
});
