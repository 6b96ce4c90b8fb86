import mysql from "mysql2/promise";

/** How to reach MariaDB as an administrator, and the application account to make. */
export type PaymentSetupConfig = {
  host: string;
  port: number;
  /** An account allowed to create users and grant (on this machine kind: root, no password). */
  adminUser: string;
  adminPassword: string;
  /** The service's own account, e.g. shop / shop in development. */
  user: string;
  password: string;
  /**
   * The databases the account may own and create, as a GRANT pattern; `payment_service%` covers
   * `payment_service` and every `payment_service_test…` database of the tests.
   */
  databasePattern?: string;
};

/**
 * Makes sure the service's MariaDB account exists, for connections over TCP ('user'@'%') and the
 * local socket ('user'@'localhost'), with every privilege on the payment databases (so the
 * migrator can create its database). Idempotent: an existing account keeps its password; the
 * grants are repeated harmlessly. Development and CI only — production accounts are provisioned
 * by whoever runs the database.
 */
export async function ensurePaymentDatabaseUser(config: PaymentSetupConfig): Promise<void> {
  const connection = await mysql.createConnection({
    host: config.host,
    port: config.port,
    user: config.adminUser,
    password: config.adminPassword,
  });
  // `_` is a wildcard in a GRANT database pattern; escape it so it matches itself.
  const pattern = (config.databasePattern ?? "payment_service%").replaceAll("_", "\\_");
  try {
    for (const host of ["%", "localhost"]) {
      const account = `${connection.escape(config.user)}@${connection.escape(host)}`;
      await connection.query(
        `CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY ${connection.escape(config.password)}`,
      );
      await connection.query(
        `GRANT ALL PRIVILEGES ON ${connection.escapeId(pattern)}.* TO ${account}`,
      );
    }
  } finally {
    await connection.end();
  }
}
