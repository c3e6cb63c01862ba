import { formatAddress } from "../domain/address-input";
import { type AssessmentResult, assess } from "../domain/assessment";
import { sourcesOf } from "./sources";
import { describeGap, type Fact, type GapField, type PropertyFacts, type RegisterGap, type Source } from "./types";

/** The facts an assessment reads about an address: `resolveProperty` or `factsFor` fetch them in one round trip. */
export const ASSESSMENT_FACTS: readonly Fact[] = ["unit", "labels", "neighbourhood", "municipality"];

/**
 * What the domain says when a fact is absent, which is false when the fact is only unknown
 * (its register could not be asked): those sentences give way to the register's gap.
 */
const ABSENT_SENTENCES: Partial<Record<GapField, RegExp>> = {
  unit: /^No BAG unit\b/,
  labels: /^No registered energy label\b/,
  neighbourhood: /^No neighbourhood statistics are available\b/,
  valueBasis: /^No average value per m² is known\b/,
};

/** Why there is no value when the municipality's value basis is unknown (CBS could not be asked), not absent. */
const VALUE_BASIS_UNKNOWN =
  "The value basis (average WOZ per m² of the municipality, CBS) is unknown: CBS could not be asked, so no value range can be given.";

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
  const unknown = new Set(gaps.filter((g) => g.stale === null).flatMap((g) => g.fields));
  const labelsUnknown = unknown.has("labels") && labels.length === 0;
  const assessed = assess({ address, addressLabel: label, unit, labels, neighbourhood, municipality, now, labelsUnknown });
  const absent = [...unknown].flatMap((field) => ABSENT_SENTENCES[field] ?? []);
  const reason = assessed.valueUnavailableReason;
  const result: AssessmentResult =
    gaps.length === 0
      ? assessed
      : {
          ...assessed,
          valueUnavailableReason:
            reason !== null && unknown.has("valueBasis") && ABSENT_SENTENCES.valueBasis?.test(reason) ? VALUE_BASIS_UNKNOWN : reason,
          dataGaps: [...assessed.dataGaps.filter((sentence) => !absent.some((re) => re.test(sentence))), ...gaps.map(describeGap)],
        };
  return { label, result, sources: sourcesOf(address, unit, ...labels, neighbourhood, municipality), registerGaps: gaps };
}
