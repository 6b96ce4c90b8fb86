import { InvalidArgument } from "#shared/errors";
import { type Cents, parseMoney } from "#shared/money";

/** A catalogue entry as the service works with it: exact money, exact 64-bit id. */
export type Product = {
  readonly id: bigint;
  readonly name: string;
  readonly description: string;
  readonly price: Cents;
  readonly stockQuantity: number;
  readonly category: string;
  readonly imageUrl: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
};

/** The fields a caller chooses, validated and normalised. */
export type ProductFields = Pick<
  Product,
  "name" | "description" | "price" | "stockQuantity" | "category" | "imageUrl"
>;

/** A partial change: only the fields present change. */
export type ProductChanges = Partial<ProductFields>;

/** What a caller sends to create a product, before validation (price as a decimal string). */
export type NewProductInput = {
  name: string;
  description?: string | undefined;
  price: string;
  stockQuantity?: number | undefined;
  category?: string | undefined;
  imageUrl?: string | undefined;
};

/** What a caller sends to change a product; `undefined` means "leave as it is". */
export type ProductChangesInput = Partial<NewProductInput>;

/** The largest value of the int4 `stock_quantity` column. */
export const MAX_STOCK_QUANTITY = 2_147_483_647;

/**
 * Validates a new product: name trimmed, 1–200 characters; description ≤ 5000; price a decimal
 * ≥ 0 with at most 2 decimals, up to 9999999999.99; stock an integer 0–2147483647; category
 * (trimmed) ≤ 100; image_url (trimmed) ≤ 2048 and, when not empty, an http(s) URL.
 * Throws InvalidArgument naming the first offending field.
 */
export function validateNewProduct(input: NewProductInput): ProductFields {
  return {
    name: validName(input.name),
    description: validDescription(input.description ?? ""),
    price: validPrice(input.price),
    stockQuantity: validStockQuantity(input.stockQuantity ?? 0),
    category: validCategory(input.category ?? ""),
    imageUrl: validImageUrl(input.imageUrl ?? ""),
  };
}

/** Validates the fields that are present by the rules of `validateNewProduct`; omits the rest. */
export function validateProductChanges(input: ProductChangesInput): ProductChanges {
  const changes: { -readonly [K in keyof ProductFields]?: ProductFields[K] } = {};
  if (input.name !== undefined) changes.name = validName(input.name);
  if (input.description !== undefined) changes.description = validDescription(input.description);
  if (input.price !== undefined) changes.price = validPrice(input.price);
  if (input.stockQuantity !== undefined) {
    changes.stockQuantity = validStockQuantity(input.stockQuantity);
  }
  if (input.category !== undefined) changes.category = validCategory(input.category);
  if (input.imageUrl !== undefined) changes.imageUrl = validImageUrl(input.imageUrl);
  return changes;
}

/**
 * Checks free text against a column limit. Length counts code points, as PostgreSQL's varchar(n)
 * does; NUL is refused because PostgreSQL text cannot store it.
 */
export function validText(field: string, value: string, max: number, singleLine: boolean): string {
  if ([...value].length > max)
    throw new InvalidArgument(field, `must be at most ${max} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
  const forbidden = singleLine ? /[\u0000-\u001f\u007f]/ : /\u0000/;
  if (forbidden.test(value))
    throw new InvalidArgument(field, "must not contain control characters");
  return value;
}

function validName(value: string): string {
  const name = validText("name", value.trim(), 200, true);
  if (name === "") throw new InvalidArgument("name", "is required");
  return name;
}

function validDescription(value: string): string {
  return validText("description", value, 5000, false);
}

function validPrice(value: string): Cents {
  const price = parseMoney(value);
  if (price === undefined) {
    throw new InvalidArgument(
      "price",
      `must be a decimal from 0 to 9999999999.99 with at most 2 decimals, got "${value.slice(0, 40)}"`,
    );
  }
  return price;
}

function validStockQuantity(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_STOCK_QUANTITY) {
    throw new InvalidArgument(
      "stock_quantity",
      `must be an integer from 0 to ${MAX_STOCK_QUANTITY}`,
    );
  }
  return value;
}

function validCategory(value: string): string {
  return validText("category", value.trim(), 100, true);
}

function validImageUrl(value: string): string {
  const url = validText("image_url", value.trim(), 2048, true);
  if (url === "") return url;
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (!parsed || !["http:", "https:"].includes(parsed.protocol) || parsed.hostname === "") {
    throw new InvalidArgument("image_url", "must be an http or https URL");
  }
  return url;
}
