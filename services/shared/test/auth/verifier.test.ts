import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  authSettings,
  SERVICE_AUDIENCE,
  SERVICE_ISSUER,
  serviceAuthConfigShape,
} from "#shared/auth/config";
import { mintServiceToken } from "#shared/auth/identity";
import { createVerifier } from "#shared/auth/verifier";
import { ConfigError, parseConfig } from "#shared/config";
import { TEST_AUTH_ENV, testAuthSettings, testVerifier, userToken } from "#shared-test/auth";

const enc = (text: string) => new TextEncoder().encode(text);
const serviceSecret = testAuthSettings.serviceSecret as Uint8Array;
const hour = () => Math.floor(Date.now() / 1000) + 3600;

/** What `verify` rejects with: its code, message and challenge. */
async function refusal(verify: Promise<unknown>) {
  const error = await verify.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof ConnectError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return {
    code: error.code,
    message: error.rawMessage,
    challenge: error.metadata.get("www-authenticate"),
  };
}

/** A compact JWT with any header, payload and signature: for tokens no library would sign. */
function rawJwt(header: object, payload: object, signature = ""): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part(header)}.${part(payload)}.${signature}`;
}

const claims = () => ({
  iss: TEST_AUTH_ENV.AUTH_ISSUER,
  aud: TEST_AUTH_ENV.AUTH_AUDIENCE,
  sub: "alice",
  exp: hour(),
});

describe("the verifier with an HS256 user secret", () => {
  it("takes a missing header for an anonymous caller", async () => {
    expect(await testVerifier.verify(undefined)).toEqual({ kind: "anonymous" });
    expect(await testVerifier.verify(null)).toEqual({ kind: "anonymous" });
  });

  it("accepts a valid token: sub as the user, roles [admin] as an admin", async () => {
    expect(await testVerifier.verify(`Bearer ${await userToken("alice")}`)).toEqual({
      kind: "user",
      subject: "alice",
      admin: false,
    });
    const admin = await userToken("root", { admin: true });
    expect(await testVerifier.verify(`bearer ${admin}`)).toMatchObject({ admin: true });
    const role = await userToken("eve", { claims: { roles: "admin" } });
    expect(await testVerifier.verify(`Bearer ${role}`)).toMatchObject({ admin: false });
  });

  it.each([
    ["another scheme", "Basic YWxpY2U6c2VjcmV0", "invalid_request"],
    ["an empty bearer", "Bearer ", "invalid_request"],
    ["a token that is not a JWT", "Bearer not-a-jwt", "invalid_token"],
  ])("refuses %s with Unauthenticated and a %s challenge", async (_, header, bearerError) => {
    const { code, challenge } = await refusal(testVerifier.verify(header));
    expect(code).toBe(Code.Unauthenticated);
    expect(challenge).toContain(`Bearer realm="connect-shop", error="${bearerError}"`);
  });

  const refused: [string, () => Promise<string>, RegExp][] = [
    [
      "a forged signature",
      async () => userToken("alice", { secret: enc("x".repeat(40)) }),
      /invalid signature/,
    ],
    [
      "a signature of another token",
      async () => {
        const [head, , sig] = (await userToken("alice")).split(".");
        const [, body] = (await userToken("mallory", { admin: true })).split(".");
        return `${head}.${body}.${sig}`;
      },
      /invalid signature/,
    ],
    [
      "an expired token",
      async () => userToken("alice", { expiresAt: Math.floor(Date.now() / 1000) - 3600 }),
      /expired/,
    ],
    ["alg none", async () => rawJwt({ alg: "none", typ: "JWT" }, claims()), /algorithm/],
    [
      "alg none with a signature",
      async () => rawJwt({ alg: "none" }, claims(), "c2ln"),
      /algorithm/,
    ],
    ["another issuer", async () => userToken("alice", { issuer: "someone-else" }), /"iss" claim/],
    [
      "another audience",
      async () => userToken("alice", { audience: "another-api" }),
      /"aud" claim/,
    ],
    [
      "no expiry",
      async () =>
        new SignJWT({})
          .setProtectedHeader({ alg: "HS256" })
          .setIssuer(TEST_AUTH_ENV.AUTH_ISSUER)
          .setAudience(TEST_AUTH_ENV.AUTH_AUDIENCE)
          .setSubject("alice")
          .sign(enc(TEST_AUTH_ENV.AUTH_JWT_SECRET)),
      /"exp" claim is missing/,
    ],
    [
      "HS512 with the right secret",
      async () =>
        new SignJWT(claims())
          .setProtectedHeader({ alg: "HS512" })
          .sign(enc(TEST_AUTH_ENV.AUTH_JWT_SECRET)),
      /algorithm/,
    ],
    [
      "a user token signed with the service secret",
      async () => userToken("alice", { secret: serviceSecret }),
      /invalid signature/,
    ],
    [
      "a service token signed with the user secret",
      async () =>
        new SignJWT({})
          .setProtectedHeader({ alg: "HS256" })
          .setIssuer(SERVICE_ISSUER)
          .setAudience(SERVICE_AUDIENCE)
          .setSubject("service:payment")
          .setExpirationTime("5m")
          .sign(enc(TEST_AUTH_ENV.AUTH_JWT_SECRET)),
      /invalid signature/,
    ],
  ];
  it.each(refused)("refuses %s with Unauthenticated (invalid_token)", async (_, token, why) => {
    const { code, message, challenge } = await refusal(
      testVerifier.verify(`Bearer ${await token()}`),
    );
    expect(code).toBe(Code.Unauthenticated);
    expect(message).toMatch(why);
    expect(challenge).toMatch(
      /^Bearer realm="connect-shop", error="invalid_token", error_description="/,
    );
  });

  it("accepts service tokens only where the service secret is known", async () => {
    const token = `Bearer ${await mintServiceToken("payment", serviceSecret)}`;
    expect(await testVerifier.verify(token)).toEqual({ kind: "service", name: "payment" });
    const { serviceSecret: _, ...userOnly } = testAuthSettings;
    const gatewayVerifier = createVerifier(userOnly);
    expect((await refusal(gatewayVerifier.verify(token))).message).toMatch(/not accepted here/);
  });
});

describe("the verifier's HS256 keys", () => {
  it("are imported once, when the verifier is made, not again for every new token", async () => {
    const tokens = await Promise.all(["ann", "bob", "cy"].map((user) => userToken(user)));
    const service = await mintServiceToken("payment", serviceSecret);
    const imports = vi.spyOn(crypto.subtle, "importKey");
    try {
      const verifier = createVerifier(testAuthSettings);
      for (const token of [...tokens, service]) await verifier.verify(`Bearer ${token}`);
      // The user secret and the service secret, once each.
      expect(imports).toHaveBeenCalledTimes(2);
      const forged = await userToken("ann", { secret: enc("x".repeat(40)) });
      expect((await refusal(verifier.verify(`Bearer ${forged}`))).message).toMatch(
        /invalid signature/,
      );
    } finally {
      imports.mockRestore();
    }
  });
});

describe("the verifier with a JWKS of RS256 and ES256 keys, served on loopback", () => {
  let server: Server;
  let url: string;
  let keys: Record<"rsa" | "ec", CryptoKey>;
  let publicRsa: JWK;
  let up = true;

  beforeAll(async () => {
    const rsa = await generateKeyPair("RS256");
    const ec = await generateKeyPair("ES256");
    keys = { rsa: rsa.privateKey, ec: ec.privateKey };
    publicRsa = { ...(await exportJWK(rsa.publicKey)), kid: "rsa-1", alg: "RS256", use: "sig" };
    const publicEc = { ...(await exportJWK(ec.publicKey)), kid: "ec-1", alg: "ES256", use: "sig" };
    const document = JSON.stringify({ keys: [publicRsa, publicEc] });
    server = createServer((_req, res) => {
      if (!up) return void res.writeHead(503).end();
      res.writeHead(200, { "content-type": "application/json" }).end(document);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const jwksVerifier = () =>
    createVerifier(
      authSettings({
        AUTH_ISSUER: "https://id.example",
        AUTH_AUDIENCE: "connect-shop",
        AUTH_JWKS_URL: url,
      }),
    );
  const signed = (alg: "RS256" | "ES256", kid: string, key: CryptoKey | Uint8Array) =>
    new SignJWT({ roles: ["admin"] })
      .setProtectedHeader({ alg, kid })
      .setIssuer("https://id.example")
      .setAudience("connect-shop")
      .setSubject("carol")
      .setExpirationTime("10m")
      .sign(key);

  it.each([
    ["RS256", "rsa-1", "rsa"],
    ["ES256", "ec-1", "ec"],
  ] as const)("accepts an %s token signed by a key of the set", async (alg, kid, key) => {
    const caller = await jwksVerifier().verify(`Bearer ${await signed(alg, kid, keys[key])}`);
    expect(caller).toEqual({ kind: "user", subject: "carol", admin: true });
  });

  it("refuses an HS256 token keyed with the set's public RSA key (algorithm confusion)", async () => {
    const confused = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256", kid: "rsa-1" })
      .setIssuer("https://id.example")
      .setAudience("connect-shop")
      .setSubject("carol")
      .setExpirationTime("10m")
      .sign(enc(JSON.stringify(publicRsa)));
    const { code, message } = await refusal(jwksVerifier().verify(`Bearer ${confused}`));
    expect(code).toBe(Code.Unauthenticated);
    expect(message).toMatch(/algorithm/);
  });

  it("refuses a token of a key outside the set, and alg none", async () => {
    const stranger = await generateKeyPair("RS256");
    const unknown = await signed("RS256", "rsa-1", stranger.privateKey);
    expect((await refusal(jwksVerifier().verify(`Bearer ${unknown}`))).code).toBe(
      Code.Unauthenticated,
    );
    const other = await signed("RS256", "rsa-9", stranger.privateKey);
    expect((await refusal(jwksVerifier().verify(`Bearer ${other}`))).message).toMatch(
      /unknown key/,
    );
    const none = rawJwt({ alg: "none", kid: "rsa-1" }, { ...claims(), iss: "https://id.example" });
    expect((await refusal(jwksVerifier().verify(`Bearer ${none}`))).code).toBe(
      Code.Unauthenticated,
    );
  });

  it("answers Unavailable, not Unauthenticated, while the key set cannot be fetched", async () => {
    up = false;
    try {
      const token = await signed("ES256", "ec-1", keys.ec);
      const { code } = await refusal(jwksVerifier().verify(`Bearer ${token}`));
      expect(code).toBe(Code.Unavailable);
    } finally {
      up = true;
    }
  });
});

describe("auth settings", () => {
  const base = { AUTH_ISSUER: "i", AUTH_AUDIENCE: "a" };
  const secret = "s".repeat(32);
  it.each([
    ["neither key", base, /exactly one of AUTH_JWT_SECRET/],
    [
      "both keys",
      { ...base, AUTH_JWT_SECRET: secret, AUTH_JWKS_URL: "https://id.example/jwks" },
      /exactly one/,
    ],
    [
      "one secret for users and services",
      { ...base, AUTH_JWT_SECRET: secret, AUTH_SERVICE_SECRET: secret },
      /must differ/,
    ],
    [
      "the service issuer for users",
      { ...base, AUTH_ISSUER: SERVICE_ISSUER, AUTH_JWT_SECRET: secret },
      /AUTH_ISSUER/,
    ],
  ])("refuse %s with one line", (_, config, message) => {
    expect(() => authSettings(config)).toThrow(ConfigError);
    expect(() => authSettings(config)).toThrow(message);
  });

  it("name a missing or short secret without repeating its value", () => {
    const env = { ...base, AUTH_JWT_SECRET: "hunter2-too-short" };
    expect(() => parseConfig(serviceAuthConfigShape, env)).toThrow(
      "AUTH_JWT_SECRET must be at least 32 bytes (HS256 needs a 256-bit key); AUTH_SERVICE_SECRET is required but not set",
    );
    expect(() => parseConfig(serviceAuthConfigShape, env)).not.toThrow(/hunter2/);
    expect(() => parseConfig(serviceAuthConfigShape, { AUTH_AUDIENCE: "a" })).toThrow(
      /AUTH_ISSUER is required but not set/,
    );
  });

  it("take plain http JWKS URLs on loopback only", () => {
    const jwks = (url: string) => () =>
      parseConfig(serviceAuthConfigShape, {
        ...base,
        AUTH_JWKS_URL: url,
        AUTH_SERVICE_SECRET: secret,
      });
    expect(jwks("http://127.0.0.1:9/jwks")).not.toThrow();
    expect(jwks("http://id.example/jwks")).toThrow(/https/);
  });
});
