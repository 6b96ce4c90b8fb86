import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProductService } from "#gen/shop/product/v1/product_pb";
import { services } from "#services";
import { startResilientGateway } from "./support/resilient-gateway.js";

const run = promisify(execFile);
let gateway: Awaited<ReturnType<typeof startResilientGateway>>;

beforeAll(async () => {
  gateway = await startResilientGateway({
    getProduct: async (id) => ({ product: { id, name: `product ${id}` } }),
  });
});
afterAll(() => gateway?.close());

/** `buf curl` (a real reflection client) through the gateway's port; no schema of its own. */
async function bufCurl(...args: string[]): Promise<string> {
  const { stdout } = await run(
    "node_modules/.bin/buf",
    ["curl", "--http2-prior-knowledge", ...args],
    {
      timeout: 30_000,
    },
  );
  return stdout;
}

describe.each(["grpc-v1", "grpc-v1alpha"])(
  "server reflection (%s) on the gateway's port",
  (version) => {
    it("lets buf curl call a proxied method without --schema", async () => {
      const out = await bufCurl(
        "--reflect-protocol",
        version,
        "--protocol",
        "grpc",
        "-d",
        '{"id":"7"}',
        `${gateway.baseUrl}/${ProductService.typeName}/GetProduct`,
      );
      expect(JSON.parse(out)).toMatchObject({ product: { id: "7", name: "product 7" } });
    });

    it("lists every method of every service the gateway proxies", async () => {
      const out = await bufCurl("--reflect-protocol", version, "--list-methods", gateway.baseUrl);
      const listed = new Set(out.trim().split("\n"));
      for (const { serves } of services) {
        for (const service of serves) {
          for (const method of service.methods) {
            expect(listed).toContain(`${service.typeName}/${method.name}`);
          }
        }
      }
    });
  },
);

describe("reflection on the gateway", () => {
  it.each(["grpcweb", "connect"])(
    "serves the schema to buf curl calling over %s",
    async (protocol) => {
      const out = await bufCurl(
        "--protocol",
        protocol,
        "-d",
        '{"id":"8"}',
        `${gateway.baseUrl}/${ProductService.typeName}/GetProduct`,
      );
      expect(JSON.parse(out)).toMatchObject({ product: { id: "8" } });
    },
  );

  it("is answered by the gateway itself, logged and counted under its path", async () => {
    await bufCurl("--list-services", gateway.baseUrl);
    const text = await gateway.metricsText();
    expect(text).toMatch(
      /shop_rpc_requests_total\{service="gateway",method="\/grpc\.reflection\.v1\.ServerReflection\/ServerReflectionInfo",code="200"\} [1-9]/,
    );
  });
});
