import { Code } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { encodeGrpcMessage } from "#shared/rpc/grpc-status";
import { cCoreAvailable, cCoreUnary } from "./c-core.js";
import {
  connectTransports,
  emptyEnvelope,
  fakeMethod,
  frames,
  grpcJsUnary,
  h1Exchange,
  h2Exchange,
  unaryFailure,
} from "./wire.js";

const known = "shop.product.v1.ProductService";
const cases = [
  {
    what: "an unknown method",
    path: `/${known}/Nope`,
    message: `unknown method Nope for service ${known}`,
  },
  {
    what: "an unknown service",
    path: "/shop.nope.v1.NopeService/Get",
    message: "unknown service shop.nope.v1.NopeService",
  },
] as const;

/**
 * The answers to an unknown procedure on every protocol, on the wire and as clients see them,
 * for the server at `base().baseUrl` (which must serve ProductService, not NopeService).
 */
export function describeUnknownProcedures(base: () => { baseUrl: string }): void {
  for (const { what, path, message } of cases) {
    describe(`${what}`, () => {
      it("is gRPC status 12 in a trailers-only response (HTTP 200) for gRPC", async () => {
        const reply = await h2Exchange(
          base().baseUrl,
          path,
          { "content-type": "application/grpc", te: "trailers" },
          emptyEnvelope,
        );
        expect(reply).toMatchObject({ status: 200, endedWithHeaders: true });
        expect(reply.headers).toMatchObject({
          "content-type": "application/grpc",
          "grpc-status": "12",
          "grpc-message": encodeGrpcMessage(message),
        });
        expect(reply.body.length).toBe(0);
      });

      it("is a trailer frame with status 12 (HTTP 200) for gRPC-Web", async () => {
        const reply = await h1Exchange(
          base().baseUrl,
          "POST",
          path,
          { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
          emptyEnvelope,
        );
        expect(reply.status).toBe(200);
        expect(reply.headers["content-type"]).toBe("application/grpc-web+proto");
        const [trailer, ...rest] = frames(reply.body);
        expect(rest).toEqual([]);
        expect(trailer?.flags).toBe(0x80);
        expect(trailer?.data.toString()).toBe(
          `grpc-message: ${encodeGrpcMessage(message)}\r\ngrpc-status: 12\r\n`,
        );
      });

      it("is HTTP 404 with the Connect error unimplemented for Connect, unary and streaming", async () => {
        for (const type of ["application/json", "application/proto", "application/connect+json"]) {
          const reply = await h1Exchange(base().baseUrl, "POST", path, { "content-type": type });
          expect(reply.status, type).toBe(404);
          expect(reply.headers["content-type"]).toBe("application/json");
          expect(JSON.parse(reply.body.toString())).toEqual({ code: "unimplemented", message });
        }
      });

      it("is Unimplemented with that message to connect-es clients of every protocol", async () => {
        const [service, method] = path.slice(1).split("/") as [string, string];
        for (const [name, transport] of Object.entries(connectTransports(base().baseUrl))) {
          const failure = await unaryFailure(transport, fakeMethod(service, method));
          expect(failure, name).toMatchObject({ code: Code.Unimplemented });
          // A 404 carries no gRPC message; the Connect body does.
          if (name.startsWith("grpc") || name.startsWith("connect"))
            expect(failure === "ok" ? "" : failure.rawMessage, name).toBe(message);
        }
      });

      it.skipIf(!cCoreAvailable)(
        "is UNIMPLEMENTED with that message to a C-core client",
        async () => {
          const address = new URL(base().baseUrl).host;
          expect(await cCoreUnary(address, [path])).toEqual([
            { path, code: "UNIMPLEMENTED", details: message },
          ]);
        },
      );

      it("is UNIMPLEMENTED with that message to a @grpc/grpc-js client", async () => {
        const address = new URL(base().baseUrl).host;
        expect(await grpcJsUnary(address, path)).toEqual({
          code: grpc.status.UNIMPLEMENTED,
          details: message,
        });
      });
    });
  }
}
