-- The hourly prune deletes processed_events by age (PROCESSED_EVENTS_RETENTION_HOURS), oldest first.
CREATE INDEX "processed_events_processed_at_idx" ON "processed_events" USING btree ("processed_at");
