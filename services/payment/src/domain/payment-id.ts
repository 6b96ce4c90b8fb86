import { randomBytes } from "node:crypto";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A new UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits from the CSPRNG.
 * Ids sort roughly by creation time (good for the primary key's B-tree) and cannot be guessed
 * from one another. Lower-case hex, 36 characters.
 */
export function newUuidV7(now: number = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = 0x70 | ((bytes[6] as number) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] as number) & 0x3f);
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** True for a canonical lower-case UUID such as `newUuidV7` makes; ids are compared exactly. */
export function isUuid(text: string): boolean {
  return UUID.test(text);
}
