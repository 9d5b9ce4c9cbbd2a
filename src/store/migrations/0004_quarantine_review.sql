ALTER TABLE `quarantine_items` ADD `held_stage` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `quarantine_items` ADD `used_at` integer;