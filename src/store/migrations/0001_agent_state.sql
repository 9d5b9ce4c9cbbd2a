CREATE TABLE `agent_state` (
	`agent` text PRIMARY KEY NOT NULL,
	`suspended` integer DEFAULT false NOT NULL,
	`reason` text,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL
);
