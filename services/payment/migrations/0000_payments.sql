CREATE TABLE `outbox` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`event_id` char(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	`topic` varchar(100) NOT NULL,
	`message_key` varchar(200) NOT NULL,
	`event_type` varchar(200) NOT NULL,
	`payload` text NOT NULL,
	`created_at` datetime(3) NOT NULL,
	`published_at` datetime(3),
	`attempts` int NOT NULL DEFAULT 0,
	`last_error` varchar(1000),
	CONSTRAINT `outbox_id_pk` PRIMARY KEY(`id`),
	CONSTRAINT `outbox_event_id` UNIQUE(`event_id`)
);
--> statement-breakpoint
CREATE TABLE `payment_items` (
	`id` char(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	`payment_id` char(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	`product_id` bigint NOT NULL,
	`name` varchar(200) NOT NULL,
	`quantity` int NOT NULL,
	`price` decimal(12,2) NOT NULL,
	`subtotal` decimal(12,2) NOT NULL,
	`category` varchar(100) NOT NULL DEFAULT '',
	`created_at` datetime(3) NOT NULL,
	CONSTRAINT `payment_items_id` PRIMARY KEY(`id`),
	CONSTRAINT `payment_items_quantity_positive` CHECK(`payment_items`.`quantity` > 0)
);
--> statement-breakpoint
CREATE TABLE `payments` (
	`id` char(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	`user_id` varchar(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
	`basket_id` varchar(64) NOT NULL,
	`amount` decimal(12,2) NOT NULL,
	`currency` char(3) NOT NULL,
	`status` varchar(16) NOT NULL,
	`method` varchar(50) NOT NULL,
	`provider` varchar(50) NOT NULL,
	`provider_id` varchar(128) NOT NULL DEFAULT '',
	`description` varchar(500) NOT NULL DEFAULT '',
	`metadata` json NOT NULL,
	`failure_reason` varchar(500) NOT NULL DEFAULT '',
	`refunded_amount` decimal(12,2) NOT NULL DEFAULT '0.00',
	`idempotency_key` varchar(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin,
	`created_at` datetime(3) NOT NULL,
	`updated_at` datetime(3) NOT NULL,
	`processed_at` datetime(3),
	`expires_at` datetime(3) NOT NULL,
	CONSTRAINT `payments_id` PRIMARY KEY(`id`),
	CONSTRAINT `payments_user_idempotency_key` UNIQUE(`user_id`,`idempotency_key`),
	CONSTRAINT `payments_refunded_within_amount` CHECK(`payments`.`refunded_amount` BETWEEN 0 AND `payments`.`amount`)
);
--> statement-breakpoint
CREATE TABLE `refunds` (
	`id` char(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	`payment_id` char(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	`amount` decimal(12,2) NOT NULL,
	`reason` varchar(500) NOT NULL DEFAULT '',
	`provider_id` varchar(128) NOT NULL DEFAULT '',
	`created_at` datetime(3) NOT NULL,
	CONSTRAINT `refunds_id` PRIMARY KEY(`id`),
	CONSTRAINT `refunds_amount_positive` CHECK(`refunds`.`amount` > 0)
);
--> statement-breakpoint
ALTER TABLE `payment_items` ADD CONSTRAINT `payment_items_payment_id_payments_id_fk` FOREIGN KEY (`payment_id`) REFERENCES `payments`(`id`) ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `refunds` ADD CONSTRAINT `refunds_payment_id_payments_id_fk` FOREIGN KEY (`payment_id`) REFERENCES `payments`(`id`) ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX `outbox_unpublished_idx` ON `outbox` (`published_at`,`id`);--> statement-breakpoint
CREATE INDEX `payment_items_payment_idx` ON `payment_items` (`payment_id`,`product_id`);--> statement-breakpoint
CREATE INDEX `payments_newest_idx` ON `payments` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `payments_user_newest_idx` ON `payments` (`user_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `payments_status_newest_idx` ON `payments` (`status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `payments_status_expiry_idx` ON `payments` (`status`,`expires_at`);--> statement-breakpoint
CREATE INDEX `refunds_payment_idx` ON `refunds` (`payment_id`,`created_at`);