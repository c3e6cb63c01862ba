import { createWorker } from "./oauth";
import { config } from "./runtime";

export { PandgateAgent } from "./mcp/agent";

export default createWorker(config);
