import type { Config } from "../config";
import { AssessmentStore } from "./assessments";
import { D1PropertyStore } from "./d1-store";
import type { PropertySource } from "./types";

/** What tools use to read property data and keep assessments. */
export interface Services {
  data: PropertySource;
  assessments: AssessmentStore;
  now: () => Date;
}

export function createServices(config: Config, env: Env): Services {
  return {
    data: createPropertySource(config, env),
    assessments: new AssessmentStore(env.DB),
    now: () => new Date(),
  };
}

export function createPropertySource(config: Config, env: Env): PropertySource {
  // The live registers are wired in once their adapters land; until then both read D1.
  void config;
  return new D1PropertyStore(env.DB);
}
