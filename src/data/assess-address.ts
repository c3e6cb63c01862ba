import { formatAddress } from "../domain/address-input";
import {
  type AssessmentResult,
  assemble,
  buildYearOf,
  buildYearRisks,
  energySection,
  locationFlags,
  registerChecks,
  valueRange,
} from "../domain/assessment";
import type { Services } from "./services";
import { sourcesOf } from "./sources";
import type { Address, Source } from "./types";

export type StepReporter = (step: number, message: string) => Promise<void>;

/**
 * Gathers what the assessment needs for one address and runs its steps, calling `step` between
 * them (steps 1–4; the caller reports the last one, saving). Shared by Quick_Assess_Property and
 * portfolio jobs so both apply exactly the same rules.
 */
export async function assessAddress(
  services: Services,
  address: Address,
  step: StepReporter = async () => {},
): Promise<{ label: string; result: AssessmentResult; sources: Source[] }> {
  const label = formatAddress(address);
  await step(1, `Checking the register for ${label}`);
  const unit = await services.data.unit(address.unitId);
  const checks = registerChecks(unit);
  const buildYear = buildYearOf(unit);
  await step(2, "Reading the energy label");
  const labels = await services.data.energyLabels(address.unitId);
  const now = services.now();
  const energy = energySection(labels, buildYear, now);
  await step(3, "Reading the neighbourhood");
  const [neighbourhood, municipality] = await Promise.all([
    address.neighbourhoodCode ? services.data.neighbourhood(address.neighbourhoodCode) : Promise.resolve(null),
    services.data.municipality(address.municipalityCode),
  ]);
  await step(4, "Estimating the value range and risks");
  const result = assemble(
    { address, addressLabel: label, unit, labels, neighbourhood, municipality, now },
    {
      checks,
      buildYear,
      energy,
      value: valueRange(unit, municipality, energy.energy),
      risks: buildYearRisks(buildYear, neighbourhood),
      flags: locationFlags(neighbourhood),
    },
  );
  return { label, result, sources: sourcesOf(address, unit, ...labels, neighbourhood, municipality) };
}
