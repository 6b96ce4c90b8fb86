import { z } from "zod";
import { ConfigError } from "../config.js";

/** The issuer of service tokens (see identity.ts); a user token's issuer may never be this. */
export const SERVICE_ISSUER = "connect-shop/services";
/** The audience of service tokens: shop services, nothing else. */
export const SERVICE_AUDIENCE = "connect-shop/services";

/** RFC 7518 §3.2: an HS256 key must be at least as long as the hash, 256 bits. */
const MIN_SECRET_BYTES = 32;

const secret = z.string().refine((text) => Buffer.byteLength(text) >= MIN_SECRET_BYTES, {
  message: `must be at least ${MIN_SECRET_BYTES} bytes (HS256 needs a 256-bit key)`,
});

const jwksUrl = z.url({ protocol: /^https?$/ }).refine(
  (text) => {
    const url = new URL(text);
    return url.protocol === "https:" || ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  },
  { message: "must be https:// (plain http only on loopback)" },
);

/**
 * The variables every process that checks user tokens reads (the gateway and every service):
 * who issues them and for whom, and how they are signed — AUTH_JWT_SECRET (HS256) or
 * AUTH_JWKS_URL (RS256/ES256), exactly one. None has a default: dev tooling passes its own.
 */
export const userAuthConfigShape = {
  AUTH_ISSUER: z.string().min(1),
  AUTH_AUDIENCE: z.string().min(1),
  AUTH_JWT_SECRET: secret.optional(),
  AUTH_JWKS_URL: jwksUrl.optional(),
};

/** A service's variables: the user ones plus AUTH_SERVICE_SECRET, the key of service tokens. */
export const serviceAuthConfigShape = {
  ...userAuthConfigShape,
  AUTH_SERVICE_SECRET: secret,
};

type UserAuthConfig = z.infer<z.ZodObject<typeof userAuthConfigShape>>;

/** How user tokens are signed: a shared HS256 secret, or the public keys of a JWKS document. */
export type UserKey =
  | { readonly kind: "secret"; readonly secret: Uint8Array }
  | { readonly kind: "jwks"; readonly url: URL };

/** What a verifier needs, checked as a whole (see `authSettings`). */
export interface AuthSettings {
  readonly issuer: string;
  readonly audience: string;
  readonly userKey: UserKey;
  /** The key of service tokens; without it (the gateway) no service token is accepted. */
  readonly serviceSecret?: Uint8Array;
}

/**
 * Settings from validated variables, with the rules no single variable can check: exactly one
 * user key, a service secret unlike the user secret (or users could sign service tokens), and
 * a user issuer unlike the service one. Throws a ConfigError naming the variables.
 */
export function authSettings(
  config: UserAuthConfig & { AUTH_SERVICE_SECRET?: string },
): AuthSettings {
  const {
    AUTH_JWT_SECRET: userSecret,
    AUTH_JWKS_URL: jwks,
    AUTH_SERVICE_SECRET: serviceSecret,
  } = config;
  if ((userSecret === undefined) === (jwks === undefined)) {
    throw new ConfigError(
      "invalid configuration: set exactly one of AUTH_JWT_SECRET (HS256) and AUTH_JWKS_URL (RS256/ES256)",
    );
  }
  if (serviceSecret !== undefined && serviceSecret === userSecret) {
    throw new ConfigError(
      "invalid configuration: AUTH_SERVICE_SECRET must differ from AUTH_JWT_SECRET",
    );
  }
  if (config.AUTH_ISSUER === SERVICE_ISSUER) {
    throw new ConfigError(`invalid configuration: AUTH_ISSUER may not be "${SERVICE_ISSUER}"`);
  }
  const encode = (text: string) => new TextEncoder().encode(text);
  return {
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    userKey:
      userSecret !== undefined
        ? { kind: "secret", secret: encode(userSecret) }
        : { kind: "jwks", url: new URL(jwks as string) },
    ...(serviceSecret !== undefined && { serviceSecret: encode(serviceSecret) }),
  };
}
