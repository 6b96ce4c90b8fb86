import { createHash } from "node:crypto";
import { InvalidArgument } from "#shared/errors";

/** Page size when the caller sends 0, and the largest a caller may ask for. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** page_size 0 → 50, else 1–500; InvalidArgument otherwise. */
export function parsePageSize(pageSize: number): number {
  const size = pageSize === 0 ? DEFAULT_PAGE_SIZE : pageSize;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new InvalidArgument("page_size", `must be from 1 to ${MAX_PAGE_SIZE} (0 means 50)`);
  }
  return size;
}

/**
 * An opaque token for the page after the row whose keyset value is `after`, bound to the query
 * that made it (`filters`), so a token cannot be moved to another user's or another filter's list.
 */
export function encodePageToken(after: bigint, filters: unknown): string {
  const token = { a: after.toString(), f: fingerprint(filters) };
  return Buffer.from(JSON.stringify(token)).toString("base64url");
}

/**
 * The keyset value a token from `encodePageToken` carries; undefined for ""; InvalidArgument
 * ("page_token: is malformed" / "does not match the query") for anything else.
 */
export function decodePageToken(text: string, filters: unknown): bigint | undefined {
  if (text === "") return undefined;
  const token = readToken(text);
  if (!token) throw new InvalidArgument("page_token", "is malformed");
  if (token.f !== fingerprint(filters)) {
    throw new InvalidArgument("page_token", "does not match the query");
  }
  return BigInt(token.a);
}

function readToken(text: string): { a: string; f: string } | undefined {
  if (text.length > 500 || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(text, "base64url").toString());
    if (typeof parsed !== "object" || parsed === null) return undefined;
    const { a, f } = parsed as Record<string, unknown>;
    if (typeof a !== "string" || !/^[1-9]\d{0,18}$/.test(a) || typeof f !== "string") return;
    return { a, f };
  } catch {
    return undefined;
  }
}

/** Short, stable digest of everything that decides which rows a page holds. */
function fingerprint(filters: unknown): string {
  const canonical = JSON.stringify(filters, (_key, value) =>
    typeof value === "bigint"
      ? value.toString()
      : value instanceof Date
        ? value.toISOString()
        : value,
  );
  return createHash("sha256").update(canonical).digest("base64url").slice(0, 16);
}
