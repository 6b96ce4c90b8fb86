/**
 * Authentication on a development machine: the issuer, audience and signing secrets that
 * `npm start` gives every process and `npm run token` signs with. Development values live here
 * and nowhere else; the services and the gateway have no default for any of them, and a
 * deployment sets its own (compose.yaml takes the secrets from the environment).
 *
 * Each variable already set in the environment wins, so `AUTH_JWKS_URL=… npm start` runs against
 * a real identity provider (the dev user secret is then left out: the two exclude each other).
 */
import { SignJWT } from "jose";

/** Development only. */
const DEV_AUTH = {
  AUTH_ISSUER: "connect-shop-dev",
  AUTH_AUDIENCE: "connect-shop",
  AUTH_JWT_SECRET: "dev-only-user-token-secret-not-for-production-0001",
  AUTH_SERVICE_SECRET: "dev-only-service-token-secret-not-for-production-02",
} as const;

/** The AUTH_* variables for local processes: the environment's own, else the dev values. */
export function devAuthEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const pick = (name: keyof typeof DEV_AUTH) => env[name] || DEV_AUTH[name];
  const jwks = env.AUTH_JWKS_URL;
  return {
    AUTH_ISSUER: pick("AUTH_ISSUER"),
    AUTH_AUDIENCE: pick("AUTH_AUDIENCE"),
    AUTH_SERVICE_SECRET: pick("AUTH_SERVICE_SECRET"),
    ...(jwks ? { AUTH_JWKS_URL: jwks } : { AUTH_JWT_SECRET: pick("AUTH_JWT_SECRET") }),
  };
}

/** A user token as an identity provider would issue it, signed with the dev user secret. */
export function mintDevToken(
  user: string,
  options: { admin?: boolean; expiresIn?: string } = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const auth = devAuthEnv(env);
  if (!auth.AUTH_JWT_SECRET) throw new Error("AUTH_JWKS_URL is set: tokens come from its issuer");
  return new SignJWT({ roles: options.admin ? ["admin"] : [] })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(auth.AUTH_ISSUER as string)
    .setAudience(auth.AUTH_AUDIENCE as string)
    .setSubject(user)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? "12h")
    .sign(new TextEncoder().encode(auth.AUTH_JWT_SECRET));
}
