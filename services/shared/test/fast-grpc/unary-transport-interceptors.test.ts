/** The lean unary gRPC client runs interceptors as connect-node's transport does. */
import { Code, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { describe, expect, it } from "vitest";
import { createGrpcUnaryTransport } from "#shared/fast-grpc/unary-transport";
import { failure, get, start } from "./support/waiting-products.js";

describe("the unary gRPC transport's interceptors", () => {
  /** Two interceptors that log their order, tag the request and read the call's signal. */
  function tracing(log: string[]): Interceptor[] {
    return ["a", "b"].map((name) => (next) => async (req) => {
      log.push(`${name} ${req.method.name} ${req.header.get("content-type")}`);
      req.header.append("x-via", name);
      const response = await next(req);
      log.push(`${name} done ${req.signal.aborted} ${response.header.get("content-type")}`);
      return response;
    });
  }

  it("run as on connect's transport", async () => {
    const server = await start();
    const baseUrl = `http://127.0.0.1:${server.port}`;
    const logs: [string[], string[]] = [[], []];
    const ours = createGrpcUnaryTransport({ baseUrl, interceptors: tracing(logs[0]) });
    const transports = [ours, createGrpcTransport({ baseUrl, interceptors: tracing(logs[1]) })];
    try {
      const names = await Promise.all(transports.map(async (t) => (await get(t)).product?.name));
      expect(names).toEqual(["a, b", "a, b"]);
      expect(logs[0]).toEqual(logs[1]);
      const failing: Interceptor = () => async () => {
        throw new Error("interceptor broke");
      };
      const broken = createGrpcUnaryTransport({ baseUrl, interceptors: [failing] });
      const error = await failure(get(broken));
      expect([Code[error.code], error.rawMessage]).toEqual(["Unknown", "interceptor broke"]);
      broken.close();
    } finally {
      ours.close();
      await server.close(100);
    }
  });

  it("see a request signal and response headers read when asked, with getters shared by every call", async () => {
    const server = await start();
    const getters: Record<string, Set<unknown>> = { signal: new Set(), header: new Set() };
    const getterOf = (of: object, name: string) => Object.getOwnPropertyDescriptor(of, name)?.get;
    const recording: Interceptor = (next) => async (req) => {
      getters.signal?.add(getterOf(req, "signal"));
      const response = await next(req);
      getters.header?.add(getterOf(response, "header"));
      expect(req.signal.aborted).toBe(false);
      expect({ ...response }.header.get("content-type")).toBe("application/grpc+proto");
      return response;
    };
    const transport = createGrpcUnaryTransport({
      baseUrl: `http://127.0.0.1:${server.port}`,
      interceptors: [recording],
    });
    try {
      await get(transport);
      await get(transport);
      for (const [name, each] of Object.entries(getters)) {
        expect(
          [...each].map((getter) => typeof getter),
          name,
        ).toEqual(["function"]);
      }
    } finally {
      transport.close();
      await server.close(100);
    }
  });
});
