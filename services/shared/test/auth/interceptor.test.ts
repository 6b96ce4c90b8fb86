import { create } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextValues,
  type StreamRequest,
  type StreamResponse,
} from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  BasketService,
  type GetBasketRequest,
  GetBasketRequestSchema,
} from "#gen/shop/basket/v1/basket_pb";
import { callerKey } from "#shared/auth/caller";
import { authInterceptor } from "#shared/auth/interceptor";
import { testVerifier, userToken } from "#shared-test/auth";

// A streaming RPC with an owner rule (notification's WatchNotifications will be one) gets its
// owner field checked on each message before the handler sees it. No proto declares one yet,
// so this drives the interceptor with an owner-ruled method as if its input were a stream.
const method = BasketService.method.getBasket;

async function* messages(...users: string[]): AsyncIterable<GetBasketRequest> {
  for (const userId of users) yield create(GetBasketRequestSchema, { userId });
}

async function streamAs(token: string, ...users: string[]) {
  const seen: string[] = [];
  const interceptor = authInterceptor(testVerifier, [BasketService]);
  const req = {
    stream: true,
    service: BasketService,
    method,
    requestMethod: "POST",
    url: "http://test/shop.basket.v1.BasketService/GetBasket",
    signal: new AbortController().signal,
    header: new Headers({ authorization: `Bearer ${token}` }),
    contextValues: createContextValues(),
    message: messages(...users),
  } as unknown as StreamRequest;
  const handler = interceptor(async (inner) => {
    for await (const message of inner.message as AsyncIterable<GetBasketRequest>) {
      seen.push(message.userId);
    }
    expect(inner.contextValues.get(callerKey)).toMatchObject({ kind: "user" });
    return {} as StreamResponse;
  });
  const outcome = await handler(req).then(
    () => "ok",
    (error: unknown) => ConnectError.from(error).code,
  );
  return { outcome, seen };
}

describe("the auth interceptor on a streamed request", () => {
  it("passes the owner's messages through", async () => {
    expect(await streamAs(await userToken("alice"), "alice", "alice")).toEqual({
      outcome: "ok",
      seen: ["alice", "alice"],
    });
  });

  it("stops at the first message naming another user, before the handler sees it", async () => {
    expect(await streamAs(await userToken("alice"), "alice", "bob", "alice")).toEqual({
      outcome: Code.PermissionDenied,
      seen: ["alice"],
    });
  });
});
