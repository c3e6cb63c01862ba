import { env } from "cloudflare:workers";
import { parseConfig } from "./config";
import { createWorker } from "./oauth";

export { PortfolioWorkflow } from "./jobs/workflow";
export { PandgateAgent } from "./mcp/agent";

/**
 * The Worker. Its settings are parsed once when the isolate loads this module, so a bad setting
 * stops the Worker at start-up with a message naming it; every layer is handed the result.
 */
export default createWorker(parseConfig(env as unknown as Record<string, unknown>));
