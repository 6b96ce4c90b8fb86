import { createHash } from "node:crypto";
import { z } from "zod";
import { InvalidArgument } from "#shared/errors";
import type { PaymentStatus } from "./payment.js";
import { isUuid } from "./payment-id.js";

/** Page size when the caller sends 0, and the largest a caller may ask for. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** Which payments a list shows; absent means any. */
export type PaymentFilters = {
  readonly status?: PaymentStatus | undefined;
  readonly userId?: string | undefined;
};

/** Where the previous page ended: its last payment's creation time and id. */
export type PageCursor = { readonly createdAt: Date; readonly id: string };

/** A validated list request, newest first; `after` is absent on the first page. */
export type ListPaymentsQuery = {
  readonly pageSize: number;
  readonly filters: PaymentFilters;
  readonly after?: PageCursor | undefined;
};

/**
 * Validates list parameters: page_size 0 → 50, else 1–500; page_token one that
 * `encodePageToken` made for the same filters (a token cannot be moved to another user's list).
 * Throws InvalidArgument naming the field.
 */
export function parseListPaymentsQuery(input: {
  pageSize: number;
  pageToken: string;
  filters: PaymentFilters;
}): ListPaymentsQuery {
  const pageSize = input.pageSize === 0 ? DEFAULT_PAGE_SIZE : input.pageSize;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new InvalidArgument("page_size", `must be from 1 to ${MAX_PAGE_SIZE} (0 means 50)`);
  }
  const after =
    input.pageToken === "" ? undefined : decodePageToken(input.pageToken, input.filters);
  return { pageSize, filters: input.filters, after };
}

/** An opaque token for the page after `last`, bound to this query's filters. */
export function encodePageToken(query: ListPaymentsQuery, last: PageCursor): string {
  const token: PageToken = {
    t: last.createdAt.toISOString(),
    i: last.id,
    f: fingerprint(query.filters),
  };
  return Buffer.from(JSON.stringify(token)).toString("base64url");
}

const pageTokenSchema = z.object({
  t: z.iso.datetime(),
  i: z.string().refine(isUuid),
  f: z.string(),
});
type PageToken = z.infer<typeof pageTokenSchema>;

function decodePageToken(text: string, filters: PaymentFilters): PageCursor {
  const token = readPageToken(text);
  if (!token) throw new InvalidArgument("page_token", "is malformed");
  if (token.f !== fingerprint(filters)) {
    throw new InvalidArgument("page_token", "does not match the query");
  }
  return { createdAt: new Date(token.t), id: token.i };
}

function readPageToken(text: string): PageToken | undefined {
  if (text.length > 1000 || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  try {
    const parsed = pageTokenSchema.safeParse(JSON.parse(Buffer.from(text, "base64url").toString()));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Short, stable digest of everything that decides which rows a page holds. */
function fingerprint(filters: PaymentFilters): string {
  const canonical = JSON.stringify([filters.status ?? null, filters.userId ?? null]);
  return createHash("sha256").update(canonical).digest("base64url").slice(0, 16);
}
