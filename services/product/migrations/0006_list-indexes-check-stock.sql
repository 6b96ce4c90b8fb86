DROP INDEX "products_newest_idx";--> statement-breakpoint
DROP INDEX "products_name_idx";--> statement-breakpoint
DROP INDEX "products_price_idx";--> statement-breakpoint
DROP INDEX "products_category_newest_idx";--> statement-breakpoint
DROP INDEX "products_category_name_idx";--> statement-breakpoint
DROP INDEX "products_category_price_idx";--> statement-breakpoint
CREATE INDEX "products_newest_stock_idx" ON "products" USING btree ("created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST,"stock_quantity");--> statement-breakpoint
CREATE INDEX "products_name_stock_idx" ON "products" USING btree ("name","id","stock_quantity");--> statement-breakpoint
CREATE INDEX "products_price_stock_idx" ON "products" USING btree ("price","id","stock_quantity");--> statement-breakpoint
CREATE INDEX "products_category_newest_stock_idx" ON "products" USING btree ("category","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST,"stock_quantity");--> statement-breakpoint
CREATE INDEX "products_category_name_stock_idx" ON "products" USING btree ("category","name","id","stock_quantity");--> statement-breakpoint
CREATE INDEX "products_category_price_stock_idx" ON "products" USING btree ("category","price","id","stock_quantity");