import type { Pool, PoolConnection } from "mysql2/promise";
import { type Statement, typeCast } from "./statements.js";

/** A transaction whose statements travel in as few round trips as its reads allow. */
export type BatchedTx = {
  /**
   * Runs a SELECT now and resolves with its rows; the first one also carries the
   * `START TRANSACTION`, so it costs no extra round trip.
   */
  read<Row>(statement: Statement): Promise<Row[]>;
  /** Queues a write; the queued writes go to the server together with the `COMMIT`. */
  write(statement: Statement | undefined): void;
};

/**
 * Runs `work` in one MariaDB transaction on one pooled connection, sending its statements as
 * multi-statement queries (the pool is opened with `multipleStatements`): a transaction of reads
 * and writes takes one round trip per read plus one for all writes and the COMMIT — a checkout's
 * insert takes one instead of four, its locked update two instead of five. MariaDB runs the
 * statements of one query in order and stops at the first that fails, so the COMMIT after a
 * failing write never runs. When `work` or any statement fails, the transaction is rolled back
 * and the error thrown: nothing of it stays, and none of its outbox rows is ever published.
 * Writes are deferred, so `work` cannot read what it wrote (no caller needs to).
 */
export async function inBatchedTransaction<T>(
  pool: Pool,
  work: (tx: BatchedTx) => Promise<T>,
): Promise<T> {
  const connection = await pool.getConnection();
  let begun = false;
  const writes: Statement[] = [];
  const send = async (statements: readonly Statement[]) => {
    const all = begun ? statements : [BEGIN, ...statements];
    begun = true;
    const sql = all.map((statement) => statement.sql).join(";\n");
    const [results] = await connection
      .query({ sql, values: all.flatMap((statement) => statement.values), typeCast })
      .catch((error: unknown) => {
        // As drizzle reports a failed query: the SQL (never the values), the driver's error inside.
        throw new Error(`Failed query: ${sql}`, { cause: error });
      });
    // One statement answers its result; several answer one result per statement.
    return all.length === 1 ? [results] : (results as unknown[]);
  };
  const tx: BatchedTx = {
    async read<Row>(statement: Statement) {
      const results = await send([statement]);
      return results.at(-1) as Row[];
    },
    write(statement) {
      if (statement) writes.push(statement);
    },
  };
  try {
    const result = await work(tx);
    await send([...writes, COMMIT]);
    connection.release();
    return result;
  } catch (error) {
    await rollBack(connection, begun);
    throw error;
  }
}

const BEGIN: Statement = { sql: "START TRANSACTION", values: [] };
const COMMIT: Statement = { sql: "COMMIT", values: [] };

/**
 * Ends a failed transaction. A connection that cannot even roll back (it broke) is destroyed,
 * never handed to the next caller with a transaction open.
 */
async function rollBack(connection: PoolConnection, begun: boolean): Promise<void> {
  if (!begun) {
    connection.release();
    return;
  }
  try {
    await connection.query("ROLLBACK");
    connection.release();
  } catch {
    connection.destroy();
  }
}
