import { AuditStore } from "../audit/store";
import type { Config } from "../config";
import { AssessmentStore } from "./assessments";
import { D1PropertyStore } from "./d1-store";
import { LiveSource } from "./live/live-source";
import type { PropertySource } from "./types";

/** What tools use to read property data, keep assessments and read the audit trail. */
export interface Services {
  data: PropertySource;
  assessments: AssessmentStore;
  /** The audit trail, for the tenant administrator's Get_Audit_Log (read only; the queue consumer writes it). */
  audit: AuditStore;
  now: () => Date;
}

export function createServices(config: Config, env: Env): Services {
  return {
    data: createPropertySource(config, env),
    assessments: new AssessmentStore(env.DB),
    audit: new AuditStore(env.DB),
    now: () => new Date(),
  };
}

/** The synthetic dataset in D1 by default; with DATA_SOURCE=live, the public registers cached in D1. */
export function createPropertySource(config: Config, env: Env): PropertySource {
  if (config.dataSource === "live") {
    return new LiveSource({ db: env.DB, ...(config.epOnlineApiKey !== undefined && { epOnlineApiKey: config.epOnlineApiKey }) });
  }
  return new D1PropertyStore(env.DB);
}
