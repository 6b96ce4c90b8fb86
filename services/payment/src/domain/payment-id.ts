import { randomUUID } from "node:crypto";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A new UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits from the CSPRNG.
 * Ids sort roughly by creation time (good for the primary key's B-tree) and cannot be guessed
 * from one another. Lower-case hex, 36 characters.
 *
 * Made from `randomUUID()` (a v4: 122 random bits, variant 10): its first 48 bits become the
 * time and its version nibble 7; the 74 random bits left are exactly v7's `rand_a` and `rand_b`,
 * and the variant stays. randomUUID draws from an entropy cache Node refills in bulk, where a
 * `randomBytes(16)` per id cost a CSPRNG call each (about nine ids per checkout).
 */
export function newUuidV7(now: number = Date.now()): string {
  const time = now.toString(16).padStart(12, "0");
  const random = randomUUID();
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15)}`;
}

/** True for a canonical lower-case UUID such as `newUuidV7` makes; ids are compared exactly. */
export function isUuid(text: string): boolean {
  return UUID.test(text);
}
