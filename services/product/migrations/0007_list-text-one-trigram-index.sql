DROP INDEX "products_name_trgm_idx";--> statement-breakpoint
DROP INDEX "products_description_trgm_idx";--> statement-breakpoint
CREATE INDEX "products_text_trgm_idx" ON "products" USING gin (("name" || E'\n' || "description") gin_trgm_ops);