import { ToolCatalog } from "../catalog";
import { getServerInfo } from "./server-info";

/** The one catalog of pandgate's tools. */
export const catalog = new ToolCatalog().add(getServerInfo);
