CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`ts` integer NOT NULL,
	`kind` text NOT NULL,
	`session_id` text,
	`agent` text,
	`verified` integer DEFAULT false NOT NULL,
	`source` text,
	`backend` text,
	`method` text NOT NULL,
	`tool` text,
	`request_id` text,
	`decision` text NOT NULL,
	`reason` text,
	`detail` text,
	`error_code` integer,
	`forwarded` integer NOT NULL,
	`mode` text NOT NULL,
	`findings` text DEFAULT '[]' NOT NULL,
	`stages` text DEFAULT '[]' NOT NULL,
	`latency_ms` real,
	`payload_sha256` text,
	`payload` text,
	`payload_truncated` integer DEFAULT false NOT NULL,
	CONSTRAINT "audit_log_kind_check" CHECK("audit_log"."kind" IN ('request', 'notification', 'event')),
	CONSTRAINT "audit_log_decision_check" CHECK("audit_log"."decision" IN ('allow', 'deny', 'quarantine', 'event')),
	CONSTRAINT "audit_log_mode_check" CHECK("audit_log"."mode" IN ('enforce', 'observe')),
	CONSTRAINT "audit_log_flags_check" CHECK("audit_log"."verified" IN (0, 1) AND "audit_log"."forwarded" IN (0, 1) AND "audit_log"."payload_truncated" IN (0, 1))
);
--> statement-breakpoint
CREATE INDEX `audit_log_ts_idx` ON `audit_log` (`ts`);--> statement-breakpoint
CREATE INDEX `audit_log_agent_ts_idx` ON `audit_log` (`agent`,`ts`);--> statement-breakpoint
CREATE INDEX `audit_log_decision_ts_idx` ON `audit_log` (`decision`,`ts`);--> statement-breakpoint
CREATE INDEX `audit_log_backend_tool_ts_idx` ON `audit_log` (`backend`,`tool`,`ts`);