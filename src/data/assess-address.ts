import { formatAddress } from "../domain/address-input";
import { type AssessmentResult, assess } from "../domain/assessment";
import { sourcesOf } from "./sources";
import type { Fact, PropertyFacts, Source } from "./types";

/** The facts an assessment reads about an address: `resolveProperty` or `factsFor` fetch them in one round trip. */
export const ASSESSMENT_FACTS: readonly Fact[] = ["unit", "labels", "neighbourhood", "municipality"];

/**
 * Computes the assessment of one address from its facts (read with `ASSESSMENT_FACTS`) with the
 * domain's one pure `assess()`. Quick_Assess_Property and portfolio jobs both come through here,
 * so both apply exactly the same rules; this function decides nothing itself.
 */
export function assessProperty(facts: PropertyFacts, now: Date): { label: string; result: AssessmentResult; sources: Source[] } {
  const { address, unit, labels, neighbourhood, municipality } = facts;
  const label = formatAddress(address);
  const result = assess({ address, addressLabel: label, unit, labels, neighbourhood, municipality, now });
  return { label, result, sources: sourcesOf(address, unit, ...labels, neighbourhood, municipality) };
}
