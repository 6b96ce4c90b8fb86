import type { Interceptor } from "@connectrpc/connect";
import { SignJWT } from "jose";
import { SERVICE_AUDIENCE, SERVICE_ISSUER } from "./config.js";

/** How long a service token lives, and how long before its end a new one is made. */
const LIFETIME_S = 300;
const RENEW_BEFORE_S = 60;

/**
 * A client interceptor that makes every call as the shop service `name`: it sets
 * `authorization: Bearer <service token>`, a JWT of issuer and audience connect-shop/services,
 * subject `service:<name>`, signed HS256 with AUTH_SERVICE_SECRET. No user can obtain one:
 * the secret is held by the services only (never by the gateway or an identity provider),
 * and a verifier checks service tokens with that secret alone. Tokens live five minutes and
 * are renewed a minute before they end, so signing costs nothing per call.
 */
export function serviceCredentials(name: string, serviceSecret: Uint8Array): Interceptor {
  let current: { header: string; renewAt: number } | undefined;
  let pending: Promise<string> | undefined;
  const renew = async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await mintServiceToken(name, serviceSecret, now);
    current = { header: `Bearer ${token}`, renewAt: now + LIFETIME_S - RENEW_BEFORE_S };
    return current.header;
  };
  const header = (): string | Promise<string> => {
    if (current && Date.now() / 1000 < current.renewAt) return current.header;
    pending ??= renew().finally(() => {
      pending = undefined;
    });
    return pending;
  };
  return (next) => async (req) => {
    if (!req.header.has("authorization")) req.header.set("authorization", await header());
    return next(req);
  };
}

/** One service token for `name`, issued at `now` (seconds). */
export function mintServiceToken(
  name: string,
  serviceSecret: Uint8Array,
  now = Math.floor(Date.now() / 1000),
): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(SERVICE_ISSUER)
    .setAudience(SERVICE_AUDIENCE)
    .setSubject(`service:${name}`)
    .setIssuedAt(now)
    .setExpirationTime(now + LIFETIME_S)
    .sign(serviceSecret);
}
