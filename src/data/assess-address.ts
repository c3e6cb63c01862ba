import { formatAddress } from "../domain/address-input";
import { type AssessmentResult, assess } from "../domain/assessment";
import type { Services } from "./services";
import { sourcesOf } from "./sources";
import type { Address, Source } from "./types";

export type StepReporter = (step: number, message: string) => Promise<void>;

/**
 * Gathers what the assessment needs for one address, reporting progress between the reads
 * (steps 1–4; the caller reports the last one, saving), then computes it with the domain's one
 * pure `assess()`. Quick_Assess_Property and portfolio jobs both come through here, so both apply
 * exactly the same rules; this function decides nothing itself.
 */
export async function assessAddress(
  services: Services,
  address: Address,
  step: StepReporter = async () => {},
): Promise<{ label: string; result: AssessmentResult; sources: Source[] }> {
  const label = formatAddress(address);
  await step(1, `Checking the register for ${label}`);
  const unit = await services.data.unit(address.unitId);
  await step(2, "Reading the energy label");
  const labels = await services.data.energyLabels(address.unitId);
  await step(3, "Reading the neighbourhood");
  const [neighbourhood, municipality] = await Promise.all([
    address.neighbourhoodCode ? services.data.neighbourhood(address.neighbourhoodCode) : Promise.resolve(null),
    services.data.municipality(address.municipalityCode),
  ]);
  await step(4, "Estimating the value range and risks");
  const result = assess({ address, addressLabel: label, unit, labels, neighbourhood, municipality, now: services.now() });
  return { label, result, sources: sourcesOf(address, unit, ...labels, neighbourhood, municipality) };
}
