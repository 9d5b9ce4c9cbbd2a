CREATE TABLE `key_state` (
	`agent` text NOT NULL,
	`fingerprint` text NOT NULL,
	`public_key` text NOT NULL,
	`status` text NOT NULL,
	`valid_until` integer,
	`changed_at` integer NOT NULL,
	`changed_by` text NOT NULL,
	PRIMARY KEY(`agent`, `fingerprint`),
	CONSTRAINT "key_state_status_check" CHECK("key_state"."status" IN ('previous', 'revoked'))
);
--> statement-breakpoint
CREATE TABLE `messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`sender` text NOT NULL,
	`recipient` text NOT NULL,
	`content` text NOT NULL,
	`metadata` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `messages_recipient_id_idx` ON `messages` (`recipient`,`id`);--> statement-breakpoint
CREATE INDEX `messages_expires_idx` ON `messages` (`expires_at`);