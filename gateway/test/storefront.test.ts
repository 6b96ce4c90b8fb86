import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "#shared/config";
import { testAuthSettings, testGatewayVerifier } from "#shared-test/auth";
import { createDevSignIn } from "../src/dev-sign-in.js";
import { loadStaticFiles, type StaticFiles } from "../src/static-files.js";
import { devSignInOf, storefrontRoot } from "../src/storefront.js";
import { ANONYMOUS, send, startGateway, type TestGateway } from "./support/harness.js";

// The gateway's storefront duties against in-memory fakes: static files at `/` beside the API,
// and the development sign-in. The page itself is tested in a browser (web/test).
const PAGE = "<!doctype html><title>shop</title>";
const SCRIPT = "console.log('shop');";
const BUNDLE = Array.from({ length: 400 }, (_, i) => `export const line${i} = "${i}";`).join("\n");
let root: string;
let files: StaticFiles;
let gateway: TestGateway;
let plain: TestGateway;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "gateway-web-"));
  await mkdir(join(root, "assets"));
  await writeFile(join(root, "index.html"), PAGE);
  await writeFile(join(root, "assets/main-AB12CD.js"), SCRIPT);
  await writeFile(join(root, "assets/styles-EF34GH.css"), "body{margin:0}");
  await writeFile(join(root, "assets/logo.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  await writeFile(join(root, "assets/bundle-IJ56KL.js"), BUNDLE);
  await writeFile(join(root, "notes.env"), "SECRET=1");
  files = await loadStaticFiles(root);
  const secret = new TextEncoder().encode("test-only-user-token-secret-0123456789abcdef");
  const { issuer, audience } = testAuthSettings;
  gateway = await startGateway({
    web: files,
    devSignIn: createDevSignIn({ issuer, audience, secret }),
  });
  plain = await startGateway();
});
afterAll(async () => {
  await gateway?.close();
  await plain?.close();
  await rm(root, { recursive: true, force: true });
});

const get = (path: string, headers: Record<string, string> = {}) =>
  send(gateway.port, "GET", path, undefined, { ...ANONYMOUS, ...headers });

describe("static files at /", () => {
  it("serves index.html at / and /index.html: no-cache, the page's own policy, an ETag", async () => {
    for (const path of ["/", "/index.html"]) {
      const reply = await get(path);
      expect(reply.status).toBe(200);
      expect(reply.text).toBe(PAGE);
      expect(reply.headers).toMatchObject({
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-cache",
        "x-content-type-options": "nosniff",
        "content-length": String(PAGE.length),
      });
      expect(reply.headers["content-security-policy"]).toContain("default-src 'self'");
      expect(reply.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
      expect(reply.headers.etag).toMatch(/^"[\w-]{22}"$/);
    }
  });

  it("serves hashed assets as immutable with their content types", async () => {
    const script = await get("/assets/main-AB12CD.js");
    expect(script.status).toBe(200);
    expect(script.text).toBe(SCRIPT);
    expect(script.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(script.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect((await get("/assets/styles-EF34GH.css")).headers["content-type"]).toBe(
      "text/css; charset=utf-8",
    );
    expect((await get("/assets/logo.png")).headers["content-type"]).toBe("image/png");
  });

  it("answers HEAD without a body and a matching If-None-Match with 304", async () => {
    const head = await send(gateway.port, "HEAD", "/", undefined, ANONYMOUS);
    expect(head.status).toBe(200);
    expect(head.text).toBe("");
    expect(head.headers["content-length"]).toBe(String(PAGE.length));
    const etag = head.headers.etag as string;
    const again = await get("/", { "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(again.text).toBe("");
    expect((await get("/", { "if-none-match": `"other", W/${etag}` })).status).toBe(304);
    expect((await get("/", { "if-none-match": '"other"' })).status).toBe(200);
  });

  it("sends text gzipped to clients that accept it, with its own ETag", async () => {
    const url = `http://127.0.0.1:${gateway.port}/assets/bundle-IJ56KL.js`;
    const zipped = await fetch(url, { headers: { "accept-encoding": "gzip" } });
    expect(zipped.headers.get("content-encoding")).toBe("gzip");
    expect(zipped.headers.get("vary")).toBe("Origin, Accept-Encoding");
    expect(Number(zipped.headers.get("content-length"))).toBeLessThan(BUNDLE.length / 4);
    expect(await zipped.text()).toBe(BUNDLE);
    const etag = zipped.headers.get("etag") as string;
    expect(etag).toMatch(/-gz"$/);
    const again = await get("/assets/bundle-IJ56KL.js", {
      "accept-encoding": "br, gzip",
      "if-none-match": etag,
    });
    expect(again.status).toBe(304);

    for (const accepted of [undefined, "br", "gzip;q=0", "identity"]) {
      const plain = await get(
        "/assets/bundle-IJ56KL.js",
        accepted ? { "accept-encoding": accepted } : {},
      );
      expect(plain.headers["content-encoding"], accepted).toBeUndefined();
      expect(plain.text, accepted).toBe(BUNDLE);
      expect(plain.headers.etag, accepted).not.toBe(etag);
    }
    // Too small to gain from it: always as it is.
    const page = await get("/", { "accept-encoding": "gzip" });
    expect(page.headers["content-encoding"]).toBeUndefined();
    expect(page.text).toBe(PAGE);
  });

  it("refuses other methods on a file with 405", async () => {
    const reply = await send(gateway.port, "POST", "/", "{}", {
      ...ANONYMOUS,
      "content-type": "application/json",
    });
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe("GET, HEAD");
    expect(reply.json).toMatchObject({ code: "unimplemented" });
  });

  it("serves nothing outside the build, nor files of unknown kinds", async () => {
    for (const path of [
      "/../package.json",
      "/assets/../../package.json",
      "/assets/%2e%2e/%2e%2e/package.json",
      "/assets/..%2f..%2fpackage.json",
      "//etc/passwd",
      "/notes.env",
      "/assets",
      "/assets/",
      "/index.html/",
      "/INDEX.HTML",
    ]) {
      const reply = await get(path);
      expect(reply.status, path).toBe(404);
      expect(reply.json, path).toMatchObject({ code: "not_found" });
    }
  });

  it("leaves the REST routes, the builtins and the RPC paths as they were", async () => {
    const products = await get("/products");
    expect(products.status).toBe(200);
    expect(products.json).toHaveProperty("products");
    expect((await get("/health")).json).toEqual({ status: "ok" });
    expect((await get("/openapi.json")).json).toHaveProperty("openapi");
    expect((await get("/metrics")).headers["content-type"]).toMatch(/^text\/plain/);
    const rpc = await send(
      gateway.port,
      "POST",
      "/shop.product.v1.ProductService/ListProducts",
      "{}",
      { ...ANONYMOUS, "content-type": "application/json" },
    );
    expect(rpc.headers["content-type"]).toBe("application/json");
    expect(rpc.text).not.toContain("<!doctype html>");
  });

  it("refuses at start-up a build whose file would take an API path", async () => {
    await writeFile(join(root, "openapi.json"), "{}");
    try {
      await expect(startGateway({ web: await loadStaticFiles(root) })).rejects.toThrow(
        "the storefront file /openapi.json would hide an API path",
      );
    } finally {
      await rm(join(root, "openapi.json"));
    }
  });

  it("serves no page when none is configured", async () => {
    expect((await send(plain.port, "GET", "/", undefined, ANONYMOUS)).status).toBe(404);
  });
});

describe("development sign-in", () => {
  const signIn = (body: string, port = gateway.port) =>
    send(port, "POST", "/dev/token", body, { ...ANONYMOUS, "content-type": "application/json" });

  it("hands out a user token the gateway accepts, never with the admin role", async () => {
    const reply = await signIn(JSON.stringify({ user: "alice", admin: true, roles: ["admin"] }));
    expect(reply.status).toBe(200);
    expect(reply.headers["cache-control"]).toBe("no-store");
    const body = reply.json as { user: string; token: string; expiresAt: string };
    expect(body.user).toBe("alice");
    expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now() + 7 * 3600_000);
    const caller = await testGatewayVerifier.verify(`Bearer ${body.token}`);
    expect(caller).toMatchObject({ kind: "user", subject: "alice", admin: false });
  });

  it("refuses names that are not plain user ids", async () => {
    for (const body of [
      "{}",
      '{"user":""}',
      '{"user":"a b"}',
      '{"user":"../admin"}',
      '{"user":42}',
      `{"user":"${"a".repeat(65)}"}`,
      "null",
    ]) {
      const reply = await signIn(body);
      expect(reply.status, body).toBe(400);
      expect(reply.json, body).toMatchObject({ code: "invalid_argument" });
    }
    expect((await signIn("{not json")).status).toBe(400);
  });

  it("answers only POST", async () => {
    const reply = await get("/dev/token");
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe("POST");
  });

  it("does not exist unless turned on", async () => {
    const reply = await signIn('{"user":"alice"}', plain.port);
    expect(reply.status).toBe(404);
  });

  it("is off by default, refused in production, and needs the HS256 secret", () => {
    expect(devSignInOf({ DEV_SIGN_IN: false }, testAuthSettings)).toBeUndefined();
    expect(devSignInOf({ DEV_SIGN_IN: true }, testAuthSettings)).toBeTypeOf("function");
    expect(() =>
      devSignInOf({ DEV_SIGN_IN: true, NODE_ENV: "production" }, testAuthSettings),
    ).toThrow(ConfigError);
    const jwks = {
      ...testAuthSettings,
      userKey: { kind: "jwks" as const, url: new URL("https://idp.example/jwks") },
    };
    expect(() => devSignInOf({ DEV_SIGN_IN: true }, jwks)).toThrow(/AUTH_JWT_SECRET/);
  });
});

describe("WEB_ROOT", () => {
  const logger = pino({ level: "silent" });
  it("names the directory, none, or a missing one as a configuration error", () => {
    expect(storefrontRoot(root, logger)).toBe(root);
    expect(storefrontRoot("none", logger)).toBeUndefined();
    expect(() => storefrontRoot(join(root, "missing"), logger)).toThrow(ConfigError);
  });
});
