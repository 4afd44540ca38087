ALTER TABLE `users` ADD `last_activity_at` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `inactivity_reminded_at` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `keep_token` text;--> statement-breakpoint
CREATE INDEX `users_activity_idx` ON `users` (`status`,(CASE WHEN last_activity_at IS NOT NULL THEN last_activity_at WHEN last_login_at IS NOT NULL THEN last_login_at ELSE created_at END));--> statement-breakpoint
CREATE INDEX `users_inactivity_reminded_idx` ON `users` (`status`,`inactivity_reminded_at`);