/** Type declarations for the parsers scripts/setup.mjs exports (its main runs only as a script). */

/** The first JSON array or object in wrangler's output (it may print a banner before it). */
export function parseJsonOutput(text: string): unknown;
/** Rows of a cli-table3 table as printed by `wrangler queues list` (header row gives the keys). */
export function parseTable(text: string): Record<string, string>[];
/** Bucket names in `wrangler r2 bucket list`'s output ("name:"/"creation_date:" blocks). */
export function parseR2BucketNames(text: string): string[];
/** The workers.dev URL `wrangler deploy` prints, or null. */
export function parseDeployUrl(text: string): string | null;
