import { ToolCatalog } from "../catalog";
import {
  deletePropertyAssessment,
  getAssessedProperties,
  getPropertyAssessments,
  getTenantAssessments,
  quickAssessProperty,
} from "./assessments";
import { getAuditLog } from "./audit";
import { assessPortfolio, cancelPortfolio, getPortfolioResult, getPortfolioStatus } from "./portfolio";
import { analyzePropertyLocation, getAddressesForPostcode, getPropertyData, getPropertyEnergyLabel } from "./property";
import { calculateRentPoints } from "./rent";
import { searchAddresses } from "./search";
import { getServerInfo } from "./server-info";
import { createPortfolioUpload } from "./upload";

/** The one catalog of pandgate's tools. */
export const catalog = new ToolCatalog()
  .add(getServerInfo)
  .add(searchAddresses)
  .add(getAddressesForPostcode)
  .add(getPropertyData)
  .add(getPropertyEnergyLabel)
  .add(analyzePropertyLocation)
  .add(calculateRentPoints)
  .add(quickAssessProperty)
  .add(getAssessedProperties)
  .add(getPropertyAssessments)
  .add(deletePropertyAssessment)
  .add(getTenantAssessments)
  .add(assessPortfolio)
  .add(getPortfolioStatus)
  .add(getPortfolioResult)
  .add(cancelPortfolio)
  .add(getAuditLog)
  .add(createPortfolioUpload);
