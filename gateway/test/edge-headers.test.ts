import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "#shared/config";
import { h1Exchange, h2Exchange } from "#shared-test/wire";
import { allowedOrigins } from "../src/config.js";
import { startProxyGateway, startWatcher } from "./support/proxy-fixture.js";

// CORS and security headers on every kind of answer: REST, builtins, proxied calls, errors.

const allowed = "https://shop.example";
let gateway: Awaited<ReturnType<typeof startProxyGateway>>;
let watcher: Awaited<ReturnType<typeof startWatcher>>;
beforeAll(async () => {
  watcher = await startWatcher();
  gateway = await startProxyGateway({
    urls: { product: "http://127.0.0.1:9", watcher: watcher.baseUrl },
    options: { allowedOrigins: new Set([allowed]) },
  });
});
afterAll(async () => {
  await gateway?.close();
  await watcher?.close();
});

const check = "/grpc.health.v1.Health/Check";
const corsHeaders = (headers: Record<string, string>) =>
  Object.keys(headers).filter((name) => name.startsWith("access-control-"));
const list = (value: string | undefined) =>
  (value ?? "").split(",").map((item) => item.trim().toLowerCase());

describe("a CORS preflight", () => {
  it("from an allowed origin is 204 with what Connect, gRPC-Web and our API send", async () => {
    for (const path of [check, "/baskets/alice/items"]) {
      const reply = await h1Exchange(gateway.baseUrl, "OPTIONS", path, {
        origin: allowed,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,connect-protocol-version,authorization",
      });
      expect(reply.status, path).toBe(204);
      expect(reply.headers["access-control-allow-origin"]).toBe(allowed);
      expect(list(reply.headers["access-control-allow-methods"])).toEqual(
        expect.arrayContaining(["post", "get", "put", "delete"]),
      );
      expect(list(reply.headers["access-control-allow-headers"])).toEqual(
        expect.arrayContaining([
          "content-type",
          "connect-protocol-version",
          "connect-timeout-ms",
          "x-grpc-web",
          "x-user-agent",
          "grpc-timeout",
          "authorization",
          "idempotency-key",
          "x-request-id",
        ]),
      );
      expect(reply.headers["access-control-max-age"]).toBe("7200");
      expect(list(reply.headers.vary)).toContain("origin");
    }
  });

  it("from any other origin is refused with no CORS headers", async () => {
    const reply = await h1Exchange(gateway.baseUrl, "OPTIONS", check, {
      origin: "https://evil.example",
      "access-control-request-method": "POST",
    });
    expect(reply.status).toBe(403);
    expect(corsHeaders(reply.headers)).toEqual([]);
    expect(JSON.parse(reply.body.toString())).toMatchObject({ code: "permission_denied" });
  });
});

describe("an actual request", () => {
  it("from an allowed origin may read grpc-status, Connect and rate-limit headers", async () => {
    const reply = await h1Exchange(
      gateway.baseUrl,
      "POST",
      check,
      { origin: allowed, "content-type": "application/json" },
      Buffer.from("{}"),
    );
    expect(reply.status).toBe(200);
    expect(reply.headers["access-control-allow-origin"]).toBe(allowed);
    expect(list(reply.headers["access-control-expose-headers"])).toEqual(
      expect.arrayContaining([
        "grpc-status",
        "grpc-message",
        "grpc-status-details-bin",
        "connect-content-encoding",
        "connect-accept-encoding",
        "x-request-id",
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
        "retry-after",
      ]),
    );
  });

  it("from another origin, or with none, gets no CORS headers", async () => {
    const variants: Record<string, string>[] = [{ origin: "https://evil.example" }, {}];
    for (const headers of variants) {
      const reply = await h1Exchange(gateway.baseUrl, "GET", "/health", headers);
      expect(reply.status).toBe(200);
      expect(corsHeaders(reply.headers)).toEqual([]);
      expect(list(reply.headers.vary)).toContain("origin");
    }
  });
});

describe("security headers", () => {
  const expected = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "referrer-policy": "no-referrer",
  };

  it("are on REST, error, proxied and HTTP/2 answers, none of them stored by caches", async () => {
    const replies = [
      await h1Exchange(gateway.baseUrl, "GET", "/health", {}),
      await h1Exchange(gateway.baseUrl, "GET", "/no/such/path", {}),
      await h1Exchange(gateway.baseUrl, "GET", "/products/1", {}),
      await h1Exchange(
        gateway.baseUrl,
        "POST",
        check,
        { "content-type": "application/json" },
        Buffer.from("{}"),
      ),
      await h2Exchange(gateway.baseUrl, "/health", { ":method": "GET" }),
    ];
    for (const reply of replies) {
      expect(reply.headers).toMatchObject({ ...expected, "cache-control": "no-store" });
    }
    expect(replies.map((reply) => reply.status)).toEqual([200, 404, 503, 200, 200]);
  });

  it("leave /openapi.json cacheable", async () => {
    const reply = await h1Exchange(gateway.baseUrl, "GET", "/openapi.json", {});
    expect(reply.headers).toMatchObject({ ...expected, "cache-control": "public, max-age=300" });
  });
});

describe("CORS_ALLOWED_ORIGINS", () => {
  const parse = (value?: string) =>
    parseConfig({ CORS_ALLOWED_ORIGINS: allowedOrigins }, { CORS_ALLOWED_ORIGINS: value })
      .CORS_ALLOWED_ORIGINS;

  it("is a list of exact origins, * for any, or empty for none", () => {
    expect(parse("https://Shop.example, http://localhost:5173")).toEqual(
      new Set(["https://shop.example", "http://localhost:5173"]),
    );
    expect(parse("*")).toBe("*");
    expect(parse(undefined)).toEqual(new Set());
  });

  it("refuses anything that is not an origin, naming the variable", () => {
    for (const bad of [
      "https://shop.example/",
      "https://shop.example/app",
      "shop.example",
      "ftp://x",
    ]) {
      expect(() => parse(bad), bad).toThrow(ConfigError);
      expect(() => parse(bad), bad).toThrow(/CORS_ALLOWED_ORIGINS/);
    }
  });
});
