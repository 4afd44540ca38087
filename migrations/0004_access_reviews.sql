CREATE TABLE `access_review_items` (
	`review_id` text NOT NULL,
	`user_id` text NOT NULL,
	`decision` text DEFAULT 'pending' NOT NULL,
	`decided_by` text,
	`decided_at` integer,
	`snapshot_json` text NOT NULL,
	PRIMARY KEY(`review_id`, `user_id`)
);
--> statement-breakpoint
CREATE TABLE `access_reviews` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`started_by` text,
	`started_at` integer NOT NULL,
	`due_at` integer NOT NULL,
	`completed_at` integer,
	`completed_by` text,
	`reminded_at` integer,
	`status` text DEFAULT 'open' NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `access_reviews_one_open_per_org` ON `access_reviews` (`org_id`) WHERE status = 'open';--> statement-breakpoint
CREATE INDEX `access_reviews_org_idx` ON `access_reviews` (`org_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `access_reviews_status_idx` ON `access_reviews` (`status`,`started_at`);