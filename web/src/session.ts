import { UNREACHABLE } from "./errors.js";

/** A signed-in shopper: their user id and the bearer token the gateway handed out. */
export interface Session {
  readonly user: string;
  readonly token: string;
  readonly expiresAt: string;
}

const KEY = "connect-shop.session";

/**
 * Milliseconds the page may still use `session`: until a minute before its token expires, so a
 * call sent at the last moment does not arrive with an expired token.
 */
export function validFor(session: Session): number {
  return Math.max(0, Date.parse(session.expiresAt) - Date.now() - 60_000);
}

/** The session of this tab, if it is still valid for a minute or more. */
export function restoreSession(): Session | undefined {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) ?? "null") as Session | null;
    if (saved && validFor(saved) > 0) return saved;
  } catch {
    // A damaged entry is as good as none.
  }
  sessionStorage.removeItem(KEY);
  return undefined;
}

/**
 * Signs in with a development user name: the gateway's dev-only endpoint (on with `npm start`)
 * answers a user token. The page holds no secret; it only keeps the token for this tab.
 */
export async function signIn(apiBase: string, user: string): Promise<Session> {
  let response: Response;
  try {
    response = await fetch(`${apiBase}/dev/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ user }),
    });
  } catch {
    throw new Error(UNREACHABLE);
  }
  if (response.status === 404) {
    throw new Error("Development sign-in is off on this gateway (npm start turns it on).");
  }
  const body = (await response.json().catch(() => ({}))) as Partial<Session> & {
    message?: string;
  };
  if (!response.ok || !body.token || !body.user || !body.expiresAt) {
    throw new Error(body.message ?? `Sign-in failed (HTTP ${response.status}).`);
  }
  const session = { user: body.user, token: body.token, expiresAt: body.expiresAt };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

export function forgetSession(): void {
  sessionStorage.removeItem(KEY);
}
