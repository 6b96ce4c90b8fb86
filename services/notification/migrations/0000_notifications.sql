CREATE TABLE "event_log" (
	"sequence" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "event_log_sequence_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"event_id" text NOT NULL,
	"type" text NOT NULL,
	"source" text NOT NULL,
	"time" timestamp with time zone NOT NULL,
	"subject" text,
	"aggregate_id" text NOT NULL,
	"topic" text NOT NULL,
	"partition" integer NOT NULL,
	"offset" bigint NOT NULL,
	"payload" text NOT NULL,
	"traceparent" text,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "event_log_payload_is_json" CHECK ("event_log"."payload"::json IS NOT NULL)
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "notifications_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_id" text NOT NULL,
	"kind" text NOT NULL,
	"message" text NOT NULL,
	"payment_id" text NOT NULL,
	"amount" text NOT NULL,
	"currency" text NOT NULL,
	"event_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"read_at" timestamp with time zone,
	CONSTRAINT "notifications_kind_known" CHECK ("notifications"."kind" IN ('payment_completed', 'payment_failed', 'payment_refunded'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "event_log_event_id_key" ON "event_log" USING btree ("event_id");--> statement-breakpoint
CREATE INDEX "event_log_aggregate_idx" ON "event_log" USING btree ("aggregate_id","sequence");--> statement-breakpoint
CREATE INDEX "event_log_type_idx" ON "event_log" USING btree ("type","sequence");--> statement-breakpoint
CREATE INDEX "event_log_time_idx" ON "event_log" USING btree ("time");--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_event_id_key" ON "notifications" USING btree ("event_id");--> statement-breakpoint
CREATE INDEX "notifications_user_idx" ON "notifications" USING btree ("user_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "notifications_user_unread_idx" ON "notifications" USING btree ("user_id","id" DESC NULLS LAST) WHERE "notifications"."read_at" IS NULL;