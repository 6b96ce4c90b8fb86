import { decodeJwt, SignJWT } from "jose";
import { invalidArgument } from "./errors.js";

/** Where the storefront asks for a development token (only when DEV_SIGN_IN is on). */
export const DEV_SIGN_IN_PATH = "/dev/token";

/** What the dev sign-in signs with: the settings the gateway verifies user tokens with. */
export interface DevSignInSettings {
  readonly issuer: string;
  readonly audience: string;
  readonly secret: Uint8Array;
  /** Token lifetime, a jose time span ("8h"). */
  readonly expiresIn?: string;
}

/** A signed-in development user. */
export interface DevToken {
  readonly user: string;
  readonly token: string;
  readonly expiresAt: string;
}

/** Answers a sign-in request body with a token, or rejects with InvalidArgument. */
export type DevSignIn = (body: unknown) => Promise<DevToken>;

const userName = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/**
 * Development sign-in: `{"user":"alice"}` gets a user token for `alice` exactly as `npm run
 * token` would mint it — never the admin role, whatever the body says. Anyone who can reach the
 * endpoint can be anyone, which is why the gateway only offers it when DEV_SIGN_IN is set (by
 * `npm start`), and never in production.
 */
export function createDevSignIn(settings: DevSignInSettings): DevSignIn {
  return async (body) => {
    const user = (body as { user?: unknown } | null | undefined)?.user;
    if (typeof user !== "string" || !userName.test(user)) {
      throw invalidArgument(
        'user: expected a name of 1-64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit',
      );
    }
    const token = await new SignJWT({ roles: [] })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuer(settings.issuer)
      .setAudience(settings.audience)
      .setSubject(user)
      .setIssuedAt()
      .setExpirationTime(settings.expiresIn ?? "8h")
      .sign(settings.secret);
    const expires = new Date((decodeJwt(token).exp ?? 0) * 1000);
    return { user, token, expiresAt: expires.toISOString() };
  };
}
