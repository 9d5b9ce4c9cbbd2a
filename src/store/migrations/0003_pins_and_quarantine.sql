CREATE TABLE `quarantine_items` (
	`id` text PRIMARY KEY NOT NULL,
	`created_at` integer NOT NULL,
	`status` text NOT NULL,
	`held` text NOT NULL,
	`agent` text NOT NULL,
	`session_id` text,
	`backend` text,
	`method` text NOT NULL,
	`tool` text,
	`reason` text NOT NULL,
	`call_sha256` text NOT NULL,
	`findings` text DEFAULT '[]' NOT NULL,
	`payload` text,
	`decided_at` integer,
	`decided_by` text,
	`decision_reason` text,
	CONSTRAINT "quarantine_status_check" CHECK("quarantine_items"."status" IN ('pending', 'approved', 'rejected', 'expired')),
	CONSTRAINT "quarantine_held_check" CHECK("quarantine_items"."held" IN ('request', 'response'))
);
--> statement-breakpoint
CREATE INDEX `quarantine_status_agent_idx` ON `quarantine_items` (`status`,`agent`);--> statement-breakpoint
CREATE INDEX `quarantine_call_idx` ON `quarantine_items` (`call_sha256`);--> statement-breakpoint
CREATE TABLE `tool_pins` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`backend` text NOT NULL,
	`tool` text NOT NULL,
	`sha256` text NOT NULL,
	`definition` text NOT NULL,
	`status` text NOT NULL,
	`diff` text,
	`first_seen` integer NOT NULL,
	`decided_at` integer,
	`decided_by` text,
	CONSTRAINT "tool_pins_status_check" CHECK("tool_pins"."status" IN ('approved', 'pending', 'superseded'))
);
--> statement-breakpoint
CREATE INDEX `tool_pins_backend_tool_idx` ON `tool_pins` (`backend`,`tool`,`status`);