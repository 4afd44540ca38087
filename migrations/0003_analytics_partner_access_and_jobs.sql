CREATE TABLE `analytics_blocks` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`kind` text NOT NULL,
	`value` text NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `analytics_blocks_unique` ON `analytics_blocks` (`org_id`,`kind`,`value`);--> statement-breakpoint
CREATE TABLE `analytics_campaigns` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`message` text NOT NULL,
	`status` text DEFAULT 'draft' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `analytics_campaigns_org_idx` ON `analytics_campaigns` (`org_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `analytics_daily_stats` (
	`site_id` text NOT NULL,
	`day` text NOT NULL,
	`license_key` text DEFAULT '' NOT NULL,
	`visits` integer DEFAULT 0 NOT NULL,
	`events` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`site_id`, `day`, `license_key`)
);
--> statement-breakpoint
CREATE TABLE `analytics_license_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`license_key` text NOT NULL,
	`label` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `analytics_license_keys_unique` ON `analytics_license_keys` (`org_id`,`license_key`);--> statement-breakpoint
CREATE TABLE `analytics_meta_site_members` (
	`meta_site_id` text NOT NULL,
	`site_id` text NOT NULL,
	PRIMARY KEY(`meta_site_id`, `site_id`)
);
--> statement-breakpoint
CREATE INDEX `analytics_meta_site_members_site_idx` ON `analytics_meta_site_members` (`site_id`);--> statement-breakpoint
CREATE TABLE `analytics_meta_site_permissions` (
	`meta_site_id` text NOT NULL,
	`user_id` text NOT NULL,
	`level` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`meta_site_id`, `user_id`)
);
--> statement-breakpoint
CREATE INDEX `analytics_meta_site_permissions_user_idx` ON `analytics_meta_site_permissions` (`user_id`);--> statement-breakpoint
CREATE TABLE `analytics_meta_sites` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`dashboard_json` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `analytics_meta_sites_org_idx` ON `analytics_meta_sites` (`org_id`,`name`);--> statement-breakpoint
CREATE TABLE `analytics_module_permissions` (
	`user_id` text NOT NULL,
	`module` text NOT NULL,
	`level` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `module`)
);
--> statement-breakpoint
CREATE TABLE `analytics_segments` (
	`id` text PRIMARY KEY NOT NULL,
	`meta_site_id` text NOT NULL,
	`name` text NOT NULL,
	`definition_json` text NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `analytics_segments_meta_idx` ON `analytics_segments` (`meta_site_id`,`name`);--> statement-breakpoint
CREATE TABLE `analytics_settings` (
	`org_id` text PRIMARY KEY NOT NULL,
	`call_home_url` text,
	`allowed_events_json` text,
	`aes_key_enc` text,
	`aes_key_set_at` integer,
	`monthly_event_quota` integer,
	`billing_name` text,
	`billing_email` text,
	`billing_address` text,
	`vat_id` text,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `analytics_site_permissions` (
	`site_id` text NOT NULL,
	`user_id` text NOT NULL,
	`level` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`site_id`, `user_id`)
);
--> statement-breakpoint
CREATE INDEX `analytics_site_permissions_user_idx` ON `analytics_site_permissions` (`user_id`);--> statement-breakpoint
CREATE TABLE `analytics_sites` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`url` text,
	`site_key` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `analytics_sites_key_unique` ON `analytics_sites` (`site_key`);--> statement-breakpoint
CREATE INDEX `analytics_sites_org_idx` ON `analytics_sites` (`org_id`,`name`);--> statement-breakpoint
CREATE TABLE `analytics_tags` (
	`id` text PRIMARY KEY NOT NULL,
	`site_id` text NOT NULL,
	`name` text NOT NULL,
	`code` text DEFAULT '' NOT NULL,
	`published_code` text,
	`status` text DEFAULT 'draft' NOT NULL,
	`published_at` integer,
	`published_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `analytics_tags_site_idx` ON `analytics_tags` (`site_id`,`name`);--> statement-breakpoint
CREATE TABLE `api_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`name` text NOT NULL,
	`token_hash` text NOT NULL,
	`prefix` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	`last_used_at` integer,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_hash_unique` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `api_tokens_user_idx` ON `api_tokens` (`user_id`);--> statement-breakpoint
CREATE TABLE `job_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`job` text NOT NULL,
	`cron` text,
	`scheduled_at` integer NOT NULL,
	`started_at` integer NOT NULL,
	`duration_ms` integer NOT NULL,
	`status` text NOT NULL,
	`summary_json` text,
	`error` text
);
--> statement-breakpoint
CREATE INDEX `job_runs_job_idx` ON `job_runs` (`job`,`started_at`);--> statement-breakpoint
CREATE TABLE `partner_grants` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_org_id` text NOT NULL,
	`partner_org_id` text NOT NULL,
	`partner_user_id` text NOT NULL,
	`granted_by` text,
	`expires_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `partner_grants_unique` ON `partner_grants` (`customer_org_id`,`partner_user_id`);--> statement-breakpoint
CREATE INDEX `partner_grants_partner_user_idx` ON `partner_grants` (`partner_user_id`);--> statement-breakpoint
CREATE INDEX `partner_grants_partner_org_idx` ON `partner_grants` (`partner_org_id`);--> statement-breakpoint
CREATE INDEX `partner_grants_expiry_idx` ON `partner_grants` (`expires_at`);--> statement-breakpoint
ALTER TABLE `outbox` ADD `batch_key` text;--> statement-breakpoint
CREATE INDEX `outbox_batch_idx` ON `outbox` (`batch_key`);--> statement-breakpoint
ALTER TABLE `users` DROP COLUMN `keep_token`;