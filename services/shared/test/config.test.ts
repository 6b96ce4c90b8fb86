import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, grpcFastPath, parseConfig, port, serviceUrls } from "#shared/config";

const shape = {
  GRPC_PORT: port(50050),
  DB_USER: z.string(),
  PRODUCT_SERVICE_URL: serviceUrls("localhost:50050"),
};

describe("configuration", () => {
  it("applies defaults and normalises service URLs", () => {
    const config = parseConfig(shape, {
      DB_USER: "shop",
      PRODUCT_SERVICE_URL: "a:1, http://b:2",
    });
    expect(config).toEqual({
      GRPC_PORT: 50050,
      DB_USER: "shop",
      PRODUCT_SERVICE_URL: ["http://a:1", "http://b:2"],
    });
  });

  it.each([
    [{ DB_USER: "shop", GRPC_PORT: "http" }, /^invalid configuration: GRPC_PORT .*\(got "http"\)$/],
    [{ DB_USER: "shop", GRPC_PORT: "70000" }, /GRPC_PORT/],
    [{}, /^invalid configuration: DB_USER is required but not set$/],
    [{ DB_USER: "shop", PRODUCT_SERVICE_URL: "ftp://x:1" }, /PRODUCT_SERVICE_URL .*ftp:\/\/x:1/],
    [{ DB_USER: "shop", PRODUCT_SERVICE_URL: "no-port" }, /PRODUCT_SERVICE_URL/],
  ])("names the bad variable in one line: %j", (env, message) => {
    expect(() => parseConfig(shape, env)).toThrow(ConfigError);
    try {
      parseConfig(shape, env);
    } catch (error) {
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain("\n");
    }
  });

  it("reads GRPC_FAST_PATH as on unless switched off, and rejects other words", () => {
    const read = (value?: string) =>
      parseConfig({ GRPC_FAST_PATH: grpcFastPath }, { GRPC_FAST_PATH: value });
    expect([read(), read("true"), read("false"), read("0")].map((c) => c.GRPC_FAST_PATH)).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(() => read("sometimes")).toThrow(/GRPC_FAST_PATH/);
  });

  it("stops a service process with one line on stderr and exit status 1", async () => {
    const main = fileURLToPath(new URL("../../product/src/main.ts", import.meta.url));
    const tsx = fileURLToPath(new URL("../../../node_modules/.bin/tsx", import.meta.url));
    const run = promisify(execFile);
    const failure = await run(tsx, ["--conditions=source", main], {
      env: { PATH: process.env.PATH, DB_USER: "shop", DB_PORT: "five" },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 1 });
    const stderr = (failure as { stderr: string }).stderr;
    expect(stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^invalid configuration: DB_PORT /),
    ]);
  });
});
