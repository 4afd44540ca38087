ALTER TABLE `api_tokens` ADD `form_key` text;--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_form_key_unique` ON `api_tokens` (`user_id`,`form_key`);