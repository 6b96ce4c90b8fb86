import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { create, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BasketService, GetBasketRequestSchema } from "#gen/shop/basket/v1/basket_pb";
import { bindService } from "#shared/server/service-server";
import { userToken } from "#shared-test/auth";
import { cCoreAvailable } from "#shared-test/c-core";
import { startTestServer } from "#shared-test/service-harness";

const run = promisify(execFile);

// A second, independent gRPC stack (Python's grpcio on gRPC C-core) sends the token as metadata
// `authorization`; the request is raw protobuf bytes, so no schema is needed on that side.
const PYTHON = `
import sys, grpc
target, path, request, token = sys.argv[1:5]
call = grpc.insecure_channel(target).unary_unary(path)
metadata = [("authorization", "Bearer " + token)] if token else None
try:
    call(bytes.fromhex(request), metadata=metadata, timeout=10)
    print("OK")
except grpc.RpcError as error:
    print(error.code().name)
`;

const unused = () => {
  throw new Error("not used");
};
let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  const baskets = bindService(BasketService, {
    getBasket: (req) => ({ basket: { userId: req.userId, total: "0.00" } }),
    createBasket: unused,
    deleteBasket: unused,
    addItem: unused,
    updateItem: unused,
    removeItem: unused,
    clearItems: unused,
  });
  server = await startTestServer({ services: [baskets], isReady: async () => true });
});
afterAll(() => server?.close(100));

async function cCore(user: string, token: string): Promise<string> {
  const request = toBinary(
    GetBasketRequestSchema,
    create(GetBasketRequestSchema, { userId: user }),
  );
  const { stdout } = await run("/usr/bin/python3", [
    "-c",
    PYTHON,
    `127.0.0.1:${server.port}`,
    `/${BasketService.typeName}/GetBasket`,
    Buffer.from(request).toString("hex"),
    token,
  ]);
  return stdout.trim();
}

// Skips, as the other C-core tests do, where Debian's python3-grpcio is missing (.ci/run installs it).
describe.skipIf(!cCoreAvailable)("a gRPC C-core client (Python grpcio)", () => {
  it("is let in with its own token as metadata, and refused with none or another user's", async () => {
    const tokens = [await userToken("alice"), "", await userToken("bob"), "forged.token.value"];
    expect(await Promise.all(tokens.map((token) => cCore("alice", token)))).toEqual([
      "OK",
      "UNAUTHENTICATED",
      "PERMISSION_DENIED",
      "UNAUTHENTICATED",
    ]);
  });
});
