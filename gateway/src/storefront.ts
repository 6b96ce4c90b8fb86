import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { AuthSettings } from "#shared/auth/config";
import { ConfigError } from "#shared/config";
import type { Logger } from "#shared/logger";
import { createDevSignIn, type DevSignIn } from "./dev-sign-in.js";

/** `dist/web`, where `npm run build` puts the storefront, seen from `dist/gateway/src`. */
const BUILT_WEB_ROOT = fileURLToPath(new URL("../../web/", import.meta.url));

/**
 * The storefront directory for WEB_ROOT: that directory (a ConfigError when it is missing), none
 * for "none", and when unset the build's own `dist/web` if there is one (a warning when not, so a
 * gateway built without the page still serves the API).
 */
export function storefrontRoot(webRoot: string | undefined, logger: Logger): string | undefined {
  if (webRoot === "none") return undefined;
  const root = webRoot ?? BUILT_WEB_ROOT;
  if (existsSync(root)) return root;
  if (webRoot !== undefined)
    throw new ConfigError(`invalid configuration: WEB_ROOT: no directory ${root}`);
  logger.warn({ root }, "no storefront build: / serves nothing (npm run build makes it)");
  return undefined;
}

/**
 * The development sign-in when DEV_SIGN_IN is on: it signs with the user-token secret, so it
 * needs AUTH_JWT_SECRET (not a JWKS URL), and it is refused outright with NODE_ENV=production.
 */
export function devSignInOf(
  config: { DEV_SIGN_IN: boolean; NODE_ENV?: string | undefined },
  auth: AuthSettings,
): DevSignIn | undefined {
  if (!config.DEV_SIGN_IN) return undefined;
  if (config.NODE_ENV === "production") {
    throw new ConfigError(
      "invalid configuration: DEV_SIGN_IN may not be on with NODE_ENV=production",
    );
  }
  if (auth.userKey.kind !== "secret") {
    throw new ConfigError(
      "invalid configuration: DEV_SIGN_IN signs with AUTH_JWT_SECRET; it is not set",
    );
  }
  const { issuer, audience } = auth;
  return createDevSignIn({ issuer, audience, secret: auth.userKey.secret });
}
