import { formatAddress } from "../domain/address-input";
import { type AssessmentResult, assess } from "../domain/assessment";
import { sourcesOf } from "./sources";
import { describeGap, type Fact, type PropertyFacts, type RegisterGap, type Source } from "./types";

/** The facts an assessment reads about an address: `resolveProperty` or `factsFor` fetch them in one round trip. */
export const ASSESSMENT_FACTS: readonly Fact[] = ["unit", "labels", "neighbourhood", "municipality"];

/**
 * Computes the assessment of one address from its facts (read with `ASSESSMENT_FACTS`) with the
 * domain's one pure `assess()`. Quick_Assess_Property and portfolio jobs both come through here,
 * so both apply exactly the same rules; this function decides nothing about the property itself.
 *
 * Live data may come with register gaps (`facts.gaps`): each adds a sentence to `dataGaps` (so
 * the saved assessment and its text say which register could not answer, and whether an older
 * answer was used, stale, with its date), and a fact that is unknown is not described as absent:
 * an unknown label has the status "unknown", not "none".
 */
export function assessProperty(
  facts: PropertyFacts,
  now: Date,
): { label: string; result: AssessmentResult; sources: Source[]; registerGaps: RegisterGap[] } {
  const { address, unit, labels, neighbourhood, municipality, gaps } = facts;
  const label = formatAddress(address);
  // Facts whose register could not be asked and of which no older answer was used: unknown, not absent.
  const unknown = new Set(gaps.filter((g) => g.stale === null).flatMap((g) => g.fields));
  const assessed = assess({ address, addressLabel: label, unit, labels, neighbourhood, municipality, now, unknown });
  const result: AssessmentResult =
    gaps.length === 0 ? assessed : { ...assessed, dataGaps: [...assessed.dataGaps, ...gaps.map(describeGap)] };
  return { label, result, sources: sourcesOf(address, unit, ...labels, neighbourhood, municipality), registerGaps: gaps };
}
