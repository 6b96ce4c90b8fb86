import type { Interceptor } from "@connectrpc/connect";
import { SignJWT } from "jose";
import { type AuthSettings, authSettings } from "#shared/auth/config";
import { serviceCredentials } from "#shared/auth/identity";
import { createVerifier, type Verifier } from "#shared/auth/verifier";

/**
 * Credentials for tests, in one place. Servers started by the harnesses check tokens with
 * `testVerifier` (the real verifier and interceptor, with the secrets below); a test attaches a
 * caller to its client with one interceptor:
 *
 * - `asUser("alice")`: alice's token (OWNER RPCs on alice's data, PUBLIC ones);
 * - `asAdmin()`: a user with the admin role (ADMIN RPCs);
 * - `asService()`: a shop service's identity (OWNER RPCs of any user, internal SERVICE RPCs),
 *   what payment → basket/product calls carry.
 */
export const TEST_AUTH_ENV = {
  AUTH_ISSUER: "connect-shop-test",
  AUTH_AUDIENCE: "connect-shop",
  AUTH_JWT_SECRET: "test-only-user-token-secret-0123456789abcdef",
  AUTH_SERVICE_SECRET: "test-only-service-token-secret-0123456789abcdef",
} as const;

export const testAuthSettings: AuthSettings = authSettings(TEST_AUTH_ENV);
const userSecret = new TextEncoder().encode(TEST_AUTH_ENV.AUTH_JWT_SECRET);

/** The verifier servers under test use. */
export const testVerifier: Verifier = createVerifier(testAuthSettings);

/** The gateway's: user tokens only, as in production it never holds the service secret. */
export const testGatewayVerifier: Verifier = createVerifier({
  ...testAuthSettings,
  serviceSecret: undefined,
});

export interface TokenOptions {
  readonly admin?: boolean;
  /** A jose time span ("1h") or seconds since the epoch; default one hour from now. */
  readonly expiresAt?: string | number;
  readonly issuer?: string;
  readonly audience?: string;
  readonly secret?: Uint8Array;
  readonly claims?: Record<string, unknown>;
}

/** A user token as the identity provider would issue it (HS256 with the test user secret). */
export function userToken(subject: string, options: TokenOptions = {}): Promise<string> {
  return new SignJWT({ roles: options.admin ? ["admin"] : [], ...options.claims })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(options.issuer ?? TEST_AUTH_ENV.AUTH_ISSUER)
    .setAudience(options.audience ?? TEST_AUTH_ENV.AUTH_AUDIENCE)
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime(options.expiresAt ?? "1h")
    .sign(options.secret ?? userSecret);
}

/** `Authorization: Bearer <token>` as a header record (REST requests). */
export async function bearer(subject: string, options?: TokenOptions) {
  return { authorization: `Bearer ${await userToken(subject, options)}` };
}

/** Calls made as user `subject` (an admin with `{ admin: true }`). */
export function asUser(subject: string, options?: TokenOptions): Interceptor {
  const token = userToken(subject, options);
  return (next) => async (req) => {
    req.header.set("authorization", `Bearer ${await token}`);
    return next(req);
  };
}

/** Calls made as a user with the admin role. */
export function asAdmin(subject = "admin"): Interceptor {
  return asUser(subject, { admin: true });
}

/** Calls made as shop service `name`, with a real service token. */
export function asService(name = "test"): Interceptor {
  return serviceCredentials(name, testAuthSettings.serviceSecret as Uint8Array);
}
