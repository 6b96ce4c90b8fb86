import type { Pool } from "mysql2/promise";
import { Gauge } from "prom-client";
import type { Metrics } from "#shared/metrics";

/**
 * `shop_outbox_backlog`: outbox rows not yet published, counted when /metrics is scraped (one
 * indexed COUNT), so a relay that stalls while Kafka is down shows as a growing number. A scrape
 * while MariaDB is down leaves the last value.
 */
export function registerOutboxBacklog(metrics: Metrics, pool: Pool): void {
  new Gauge({
    name: "shop_outbox_backlog",
    help: "Outbox events written but not yet published to Kafka.",
    registers: [metrics.registry],
    async collect() {
      try {
        const [rows] = await pool.query(
          "SELECT COUNT(*) AS backlog FROM outbox WHERE published_at IS NULL",
        );
        this.set(Number((rows as { backlog: string | number }[])[0]?.backlog ?? 0));
      } catch {
        // The database is down: readiness says so; the gauge keeps its last value.
      }
    },
  });
}
