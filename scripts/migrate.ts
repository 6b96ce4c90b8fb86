/**
 * `npm run migrate`: applies the migrations of every service in services/registry.ts that has a
 * database to its development database (created when missing), one line per service. Overrides:
 * `<NAME>_DB_HOST` … `<NAME>_DB_NAME` (see dev-stores.ts). On failure prints one line, exits 1.
 */
import { migrateLocalDatabases } from "./dev-stores.js";

try {
  await migrateLocalDatabases("dev", (line) => console.log(line));
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`migrations failed: ${message.split("\n")[0]}`);
  process.exit(1);
}
