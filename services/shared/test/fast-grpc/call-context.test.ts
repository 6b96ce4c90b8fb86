/**
 * The short paths' handler context makes its signal only when read: read at any time, it must
 * say what connect's eagerly linked signals would have said by then.
 */
import { create } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createServiceImplSpec,
  type HandlerContext,
  type UnaryRequest,
} from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { GetProductRequestSchema, ProductService } from "#gen/shop/product/v1/product_pb";
import { createCallContext, invokeUnary } from "#shared/fast-grpc/call-context";
import type { UnarySpec } from "#shared/fast-grpc/unary-handler";

const spec = createServiceImplSpec(ProductService, {} as never).methods.getProduct as UnarySpec;

function context(timeoutMs: number | undefined) {
  const watching: ((reason: unknown) => void)[] = [];
  const ctx = createCallContext({
    spec,
    protocolName: "grpc",
    timeoutMs,
    requestHeader: { "x-a": "1" },
    responseHeader: { "content-type": "application/grpc+proto" },
    url: () => "http://h/shop.product.v1.ProductService/GetProduct",
    watchRequest: (abort) => watching.push(abort),
  });
  const endRequest = (reason: unknown) => {
    for (const abort of watching) abort(reason);
  };
  return { ctx, endRequest };
}

const codeOf = (reason: unknown) => (reason instanceof ConnectError ? reason.code : reason);

describe("the short paths' call context", () => {
  it("reads a Node header object as Headers made of the pairs connect-node reads from it", () => {
    const node = {
      ":path": "/shop.product.v1.ProductService/GetProduct",
      "content-type": "application/json",
      "set-cookie": ["a=1", "b=2"],
      "x-gone": undefined,
      "x-spaced": "  v  ",
    };
    const from = (requestHeader: Parameters<typeof createCallContext>[0]["requestHeader"]) =>
      createCallContext({
        spec,
        protocolName: "connect",
        timeoutMs: undefined,
        requestHeader,
        responseHeader: {},
        url: () => "",
        watchRequest: () => {},
      }).requestHeader;
    const direct = from(node);
    // The pseudo-header and the undefined value dropped, the repeated header kept as repeats.
    const viaPairs = new Headers([
      ["content-type", "application/json"],
      ["set-cookie", "a=1"],
      ["set-cookie", "b=2"],
      ["x-spaced", "  v  "],
    ]);
    expect([...direct]).toEqual([...viaPairs]);
    expect(direct.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(new Set(direct.keys())).toEqual(new Set(["content-type", "set-cookie", "x-spaced"]));
  });

  it("is not aborted while the call runs and the deadline is ahead", () => {
    const { ctx } = context(60_000);
    expect(ctx.signal.aborted).toBe(false);
    expect(ctx.timeoutMs()).toBeGreaterThan(59_000);
    expect(ctx.url).toBe("http://h/shop.product.v1.ProductService/GetProduct");
    expect(ctx.requestHeader.get("x-a")).toBe("1");
  });

  it("aborts a signal read during the call with DeadlineExceeded when the deadline passes", async () => {
    const { ctx } = context(5);
    const reason = await new Promise((resolve) =>
      ctx.signal.addEventListener("abort", () => resolve(ctx.signal.reason)),
    );
    expect(codeOf(reason)).toBe(Code.DeadlineExceeded);
  });

  it("gives a signal first read after the call ended the reason the call ended with", () => {
    const { ctx } = context(undefined);
    const ended = new Error("ended");
    ctx.abort(ended);
    ctx.abort(new Error("later"));
    expect(ctx.signal.aborted).toBe(true);
    expect(ctx.signal.reason).toBe(ended);
  });

  it("says DeadlineExceeded for a call that ended after its deadline, even read late", async () => {
    const { ctx } = context(1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    ctx.abort(new Error("ended"));
    expect(codeOf(ctx.signal.reason)).toBe(Code.DeadlineExceeded);
  });

  it("aborts with the request's reason when the request ends first", () => {
    const { ctx, endRequest } = context(60_000);
    const signal = ctx.signal;
    const cancelled = new ConnectError("cancelled", Code.Canceled);
    endRequest(cancelled);
    ctx.abort(new Error("ended"));
    expect(signal.reason).toBe(cancelled);
  });

  it("gives a timeoutMs that may be called apart from the context, as connect's", () => {
    const { timeoutMs } = context(60_000).ctx;
    expect(timeoutMs()).toBeGreaterThan(59_000);
    expect(context(undefined).ctx.timeoutMs()).toBeUndefined();
  });

  it("hands the implementation connect's merged context when an interceptor replaced the request", async () => {
    const { ctx } = context(60_000);
    const header = new Headers({ "x-b": "2" });
    const signal = new AbortController().signal;
    let seen: HandlerContext | undefined;
    const impl = (_: unknown, handlerContext: HandlerContext) => {
      seen = handlerContext;
      return {};
    };
    await invokeUnary(
      { ...spec, impl } as UnarySpec,
      ctx,
      create(GetProductRequestSchema, { id: 1n }),
      [(next) => (req) => next({ ...req, header, signal })],
    );
    expect(seen).toMatchObject({
      method: ctx.method,
      service: ctx.service,
      requestMethod: "POST",
      protocolName: "grpc",
      url: "http://h/shop.product.v1.ProductService/GetProduct",
      signal,
      requestHeader: header,
      responseHeader: ctx.responseHeader,
      responseTrailer: ctx.responseTrailer,
      values: ctx.values,
    });
    expect(seen?.timeoutMs()).toBeGreaterThan(59_000);
  });

  it("gives interceptors a request whose url and signal are the context's, read when asked, with getters shared by every call", async () => {
    const seen: UnaryRequest[] = [];
    const impl = () => ({});
    const calls = [context(60_000), context(60_000)];
    for (const { ctx } of calls) {
      await invokeUnary({ ...spec, impl } as UnarySpec, ctx, create(GetProductRequestSchema), [
        (next) => (req) => {
          seen.push(req as UnaryRequest);
          return next(req);
        },
      ]);
    }
    const [first, second] = seen as [UnaryRequest, UnaryRequest];
    expect(first.url).toBe("http://h/shop.product.v1.ProductService/GetProduct");
    expect(first.signal).toBe(calls[0]?.ctx.signal);
    expect({ ...second }).toMatchObject({ url: first.url, signal: calls[1]?.ctx.signal });
    for (const name of ["url", "signal"]) {
      const getter = (req: UnaryRequest) => Object.getOwnPropertyDescriptor(req, name)?.get;
      expect(getter(first), name).toBeTypeOf("function");
      expect(getter(first), name).toBe(getter(second));
    }
  });
});
