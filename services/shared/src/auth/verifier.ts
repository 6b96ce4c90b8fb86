import { Code, ConnectError } from "@connectrpc/connect";
import {
  type CryptoKey,
  createRemoteJWKSet,
  decodeJwt,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import { ANONYMOUS, type Caller } from "./caller.js";
import { type AuthSettings, SERVICE_AUDIENCE, SERVICE_ISSUER } from "./config.js";

/** Turns an `Authorization` header value (or its absence) into a verified Caller. */
export interface Verifier {
  /**
   * No header: anonymous. A valid bearer token: its user or service. Anything else rejects with
   * an AuthError (Unauthenticated); a JWKS endpoint that cannot be reached rejects Unavailable.
   */
  verify(authorization: string | null | undefined): Promise<Caller>;
}

/** RFC 6750 §3.1 error codes. */
export type BearerError = "invalid_request" | "invalid_token";

/** The realm named in every challenge. */
export const REALM = "connect-shop";

/**
 * An Unauthenticated ConnectError whose metadata carries the RFC 6750 challenge
 * (`WWW-Authenticate: Bearer realm="connect-shop", error="invalid_token", …`), so a gRPC client
 * sees it in the trailers and the gateway can pass it on as the HTTP header.
 */
export class AuthError extends ConnectError {
  constructor(message: string, bearerError?: BearerError) {
    super(message, Code.Unauthenticated, { "www-authenticate": challenge(bearerError, message) });
  }
}

/** A `WWW-Authenticate` value; without an error code it just asks for a token (RFC 6750 §3). */
export function challenge(error?: BearerError, description?: string): string {
  if (!error) return `Bearer realm="${REALM}"`;
  const text = (description ?? "").replace(/["\\]/g, "'");
  return `Bearer realm="${REALM}", error="${error}", error_description="${text}"`;
}

const USER_ALGORITHMS = { secret: ["HS256"], jwks: ["RS256", "ES256"] } as const;
const CLOCK_TOLERANCE_S = 30;
/** How long one verified token is remembered; well under any token's life. */
const CACHE_MS = 60_000;
const CACHE_ENTRIES = 10_000;

/**
 * The one verifier of the gateway and every service, so they cannot disagree. User tokens:
 * AUTH_ISSUER, AUTH_AUDIENCE, `exp` and `sub` required, signed HS256 with AUTH_JWT_SECRET or
 * RS256/ES256 by a key of AUTH_JWKS_URL — only those algorithms, so `alg: none` and an HS256
 * token "signed" with the JWKS's public key both fail. Service tokens (issuer
 * connect-shop/services): HS256 with AUTH_SERVICE_SECRET only; without that secret (the gateway)
 * none is accepted. A token that verified is remembered for a minute (at most until it expires),
 * so a call that crosses the gateway and a service pays for one signature check per minute.
 */
export function createVerifier(settings: AuthSettings): Verifier {
  const { userKey } = settings;
  const userKeys: Promise<CryptoKey> | JWTVerifyGetKey =
    userKey.kind === "secret"
      ? hmacKey(userKey.secret)
      : createRemoteJWKSet(userKey.url, { timeoutDuration: 3000, cooldownDuration: 30_000 });
  const serviceSecret = settings.serviceSecret && hmacKey(settings.serviceSecret);
  const userOptions = {
    issuer: settings.issuer,
    audience: settings.audience,
    algorithms: [...USER_ALGORITHMS[userKey.kind]],
    requiredClaims: ["exp", "sub"],
    clockTolerance: CLOCK_TOLERANCE_S,
  };
  const serviceOptions = {
    issuer: SERVICE_ISSUER,
    audience: SERVICE_AUDIENCE,
    algorithms: ["HS256"],
    requiredClaims: ["exp", "sub"],
    clockTolerance: CLOCK_TOLERANCE_S,
  };
  const cache = new Map<string, { caller: Caller; until: number }>();

  async function check(token: string): Promise<Caller> {
    // Unverified, only to pick the key; the verification below checks the issuer again.
    const issuer = unverifiedIssuer(token);
    if (issuer === SERVICE_ISSUER) {
      if (!serviceSecret)
        throw new AuthError("service tokens are not accepted here", "invalid_token");
      const { payload } = await jwtVerify(token, await serviceSecret, serviceOptions);
      return serviceCaller(payload);
    }
    const { payload } =
      typeof userKeys === "function"
        ? await jwtVerify(token, userKeys, userOptions)
        : await jwtVerify(token, await userKeys, userOptions);
    return userCaller(payload);
  }

  return {
    async verify(authorization) {
      if (authorization === null || authorization === undefined) return ANONYMOUS;
      const token = bearerToken(authorization);
      const now = Date.now();
      const known = cache.get(token);
      if (known && known.until > now) return known.caller;
      let caller: Caller;
      try {
        caller = await check(token);
      } catch (error) {
        throw refusal(error);
      }
      if (cache.size >= CACHE_ENTRIES) cache.clear();
      cache.set(token, { caller, until: Math.min(now + CACHE_MS, expiryMs(token)) });
      return caller;
    },
  };
}

/**
 * An HS256 secret as the CryptoKey jose verifies with, imported once: given the raw bytes, jose
 * imports them again for every token (about 40 % of a verification's CPU).
 */
function hmacKey(secret: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, [
    "verify",
  ]);
}

/** The token of `Bearer <token>` (RFC 6750 §2.1); anything else is an invalid request. */
function bearerToken(authorization: string): string {
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(authorization);
  if (!match?.[1]) {
    throw new AuthError("the Authorization header must be 'Bearer <token>'", "invalid_request");
  }
  return match[1];
}

function unverifiedIssuer(token: string): unknown {
  try {
    return decodeJwt(token).iss;
  } catch {
    throw new AuthError("the bearer token is not a JWT", "invalid_token");
  }
}

function expiryMs(token: string): number {
  return (decodeJwt(token).exp ?? 0) * 1000;
}

function userCaller(payload: JWTPayload): Caller {
  const subject = payload.sub;
  if (!subject) throw new AuthError("the bearer token has an empty subject", "invalid_token");
  const roles = payload.roles;
  const admin = Array.isArray(roles) && roles.includes("admin");
  return { kind: "user", subject, admin };
}

function serviceCaller(payload: JWTPayload): Caller {
  const name = /^service:([a-z][a-z0-9-]*)$/.exec(payload.sub ?? "")?.[1];
  if (!name) throw new AuthError("the service token names no service", "invalid_token");
  return { kind: "service", name };
}

/** What a failed verification tells the caller: why, in a few words, never the token. */
function refusal(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  const invalid = (why: string) => new AuthError(`the bearer token ${why}`, "invalid_token");
  if (error instanceof errors.JWTExpired) return invalid("has expired");
  if (error instanceof errors.JWTClaimValidationFailed) {
    return invalid(`is not accepted: its "${error.claim}" claim ${claimProblem(error.reason)}`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return invalid("is signed with an algorithm not accepted here");
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return invalid("has an invalid signature");
  if (error instanceof errors.JWKSNoMatchingKey) return invalid("is signed by an unknown key");
  if (keySetUnavailable(error)) {
    // The key set could not be fetched: not the caller's fault, and worth a retry.
    return new ConnectError(
      "cannot check bearer tokens right now (key set unavailable)",
      Code.Unavailable,
    );
  }
  return invalid("is malformed");
}

/** A JWKS fetch that failed: timeout, network error, non-200 answer or an unreadable document. */
function keySetUnavailable(error: unknown): boolean {
  if (!(error instanceof errors.JOSEError)) return true;
  return (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    error.code === "ERR_JOSE_GENERIC"
  );
}

function claimProblem(reason: string): string {
  if (reason === "missing") return "is missing";
  if (reason === "check_failed") return "does not match";
  return "is invalid";
}
