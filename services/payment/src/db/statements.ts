import { type Column, getTableColumns, getTableName } from "drizzle-orm";
import type { MySqlTable } from "drizzle-orm/mysql-core";
import type { TypeCast } from "mysql2";

/** One SQL statement and the values of its `?` placeholders (mysql2 escapes them). */
export type Statement = { readonly sql: string; readonly values: readonly unknown[] };

/**
 * `INSERT INTO table (…) VALUES (…), (…)` for `rows`, one statement whatever their number.
 * Column names and value encodings (dates, JSON, BIGINT) are the drizzle schema's own, so these
 * rows are stored exactly as drizzle's `insert(table).values(rows)` stores them; drizzle's query
 * builder is left out because building its SQL was a tenth of the payment service's CPU on the
 * checkout path. The columns are the first row's keys; every row must have the same.
 */
export function insertRows<T extends MySqlTable>(
  table: T,
  rows: readonly T["$inferInsert"][],
): Statement {
  const [first] = rows;
  if (!first) throw new Error(`insertRows(${getTableName(table)}) needs at least one row`);
  const columns = columnsOf(table).filter(([key]) => key in first);
  const names = columns.map(([, column]) => quote(column.name)).join(", ");
  const tuple = `(${columns.map(() => "?").join(", ")})`;
  return {
    sql: `INSERT INTO ${quote(getTableName(table))} (${names}) VALUES ${rows.map(() => tuple).join(", ")}`,
    values: rows.flatMap((row) =>
      columns.map(([key, column]) => encode(column, (row as Record<string, unknown>)[key])),
    ),
  };
}

/** `UPDATE table SET … WHERE <keyColumn> = ?` for the columns in `set`. */
export function updateRow<T extends MySqlTable>(
  table: T,
  set: Partial<T["$inferInsert"]>,
  where: { readonly column: Column; readonly equals: unknown },
): Statement {
  const columns = columnsOf(table).filter(([key]) => key in set);
  return {
    sql:
      `UPDATE ${quote(getTableName(table))} SET ` +
      `${columns.map(([, column]) => `${quote(column.name)} = ?`).join(", ")} ` +
      `WHERE ${quote(where.column.name)} = ?`,
    values: [
      ...columns.map(([key, column]) => encode(column, (set as Record<string, unknown>)[key])),
      encode(where.column, where.equals),
    ],
  };
}

/**
 * The select list of every column of `table` (qualified with `alias`), each named as its schema
 * key, for `decodeRow`.
 */
export function selectColumns(table: MySqlTable, alias: string): string {
  return columnsOf(table)
    .map(([key, column]) => `${alias}.${quote(column.name)} AS ${quote(key)}`)
    .join(", ");
}

/** A row selected with `selectColumns` as drizzle returns it (Dates, parsed JSON, …). */
export function decodeRow<T extends MySqlTable>(
  table: T,
  row: Record<string, unknown>,
): T["$inferSelect"] {
  const decoded: Record<string, unknown> = { ...row };
  for (const [key, column] of columnsOf(table)) {
    const value = row[key];
    decoded[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return decoded as T["$inferSelect"];
}

/**
 * drizzle's own mysql2 type cast: date and time columns come as text and the schema's columns
 * turn them into Dates (`decodeRow`), so a row reads the same either way.
 */
export const typeCast: TypeCast = (field, next) =>
  field.type === "TIMESTAMP" || field.type === "DATETIME" || field.type === "DATE"
    ? field.string()
    : next();

const columnCache = new WeakMap<MySqlTable, [string, Column][]>();

function columnsOf(table: MySqlTable): [string, Column][] {
  let columns = columnCache.get(table);
  if (!columns) {
    columns = Object.entries(getTableColumns(table));
    columnCache.set(table, columns);
  }
  return columns;
}

function encode(column: Column, value: unknown): unknown {
  return value === null || value === undefined ? null : column.mapToDriverValue(value);
}

function quote(name: string): string {
  return `\`${name.replaceAll("`", "``")}\``;
}
