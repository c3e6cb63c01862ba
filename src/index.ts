import { env } from "cloudflare:workers";
import { parseConfig } from "./config";
import { createWorker } from "./oauth";

export { PandgateAgent } from "./mcp/agent";

/** Parsed once when the Worker starts: a bad setting stops it here with a message naming it. */
const config = parseConfig(env as unknown as Record<string, unknown>);

export default createWorker(config);
