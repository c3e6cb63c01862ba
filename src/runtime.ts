import { env } from "cloudflare:workers";
import { type Config, parseConfig } from "./config";

/**
 * The Worker's configuration, parsed once when the isolate loads this module. A bad setting
 * stops the Worker here with a message naming it. The Worker entry and the agent share it.
 */
export const config: Config = parseConfig(env as unknown as Record<string, unknown>);
