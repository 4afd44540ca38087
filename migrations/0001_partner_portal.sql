CREATE TABLE `company_plans` (
	`id` text PRIMARY KEY NOT NULL,
	`company_id` text NOT NULL,
	`plan` text NOT NULL,
	`seats` integer NOT NULL,
	`unit_price_cents` integer NOT NULL,
	`currency` text NOT NULL,
	`auto_renew` integer DEFAULT false NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`starts_at` integer NOT NULL,
	`renews_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `company_plans_company_idx` ON `company_plans` (`company_id`);--> statement-breakpoint
CREATE TABLE `company_services` (
	`id` text PRIMARY KEY NOT NULL,
	`company_id` text NOT NULL,
	`kind` text NOT NULL,
	`name` text NOT NULL,
	`email` text,
	`status` text DEFAULT 'active' NOT NULL,
	`created_at` integer NOT NULL,
	`ended_at` integer
);
--> statement-breakpoint
CREATE INDEX `company_services_company_idx` ON `company_services` (`company_id`,`kind`,`status`);--> statement-breakpoint
CREATE TABLE `role_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`user_id` text NOT NULL,
	`kind` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`requested_by` text NOT NULL,
	`decided_by` text,
	`decided_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `role_requests_status_idx` ON `role_requests` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `role_requests_org_idx` ON `role_requests` (`org_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `invitations` ADD `reminded_at` integer;--> statement-breakpoint
CREATE INDEX `invitations_open_expiry_idx` ON `invitations` (`expires_at`);--> statement-breakpoint
CREATE INDEX `organizations_managed_by_idx` ON `organizations` (`managed_by`,`name`);