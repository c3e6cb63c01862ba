/** Type declarations for scripts/entra/manifest.mjs (pandgate's Microsoft app registration). */

export type EntraKind = "entra-single" | "entra-multi" | "b2c" | "external-id";

export const KINDS: Record<EntraKind, { idpKind: "entra" | "b2c" | "external-id"; label: string; signInAudience: string }>;
export const GRAPH_APP_ID: string;
export const GRAPH_SCOPE_IDS: { openid: string; profile: string; email: string; offline_access: string };
export const ADMIN_ROLE_ID: string;
export const DEFAULT_NAME: string;

export class UsageError extends Error {}

export interface AppRole {
  id: string;
  allowedMemberTypes: string[];
  value: string;
  displayName: string;
  description: string;
  isEnabled: boolean;
}
export interface OptionalClaim {
  name: string;
  source: string | null;
  essential: boolean;
  additionalProperties: string[];
}
export interface OptionalClaims {
  idToken: OptionalClaim[];
  accessToken: OptionalClaim[];
  saml2Token: OptionalClaim[];
}
export interface RequiredResourceAccess {
  resourceAppId: string;
  resourceAccess: { id: string; type: "Scope" | "Role" }[];
}
/** The Microsoft Graph `application` object this command prints. */
export interface Application {
  displayName: string;
  signInAudience: string;
  web: { redirectUris: string[]; implicitGrantSettings: { enableIdTokenIssuance: boolean; enableAccessTokenIssuance: boolean } };
  requiredResourceAccess: RequiredResourceAccess[];
  appRoles?: AppRole[];
  optionalClaims?: OptionalClaims;
  api?: { requestedAccessTokenVersion: number };
}
export interface AzCommand {
  comment: string;
  argv: string[];
  /** The shell variable the command's output is captured into (APP_ID, SP_ID). */
  assign?: string;
}
export interface AzPlan {
  kind: EntraKind;
  idpKind: string;
  application: Application;
  /** JSON files the commands read with @file, by name. */
  files: Record<string, unknown>;
  commands: AzCommand[];
  /** [setting, value, note] for pandgate. */
  settings: [string, string, string][];
}

export function isKind(kind: unknown): kind is EntraKind;
export function checkPublicUrl(value: unknown): string;
export function checkName(value: unknown): string;
export function redirectUri(publicUrl: string): string;
export function adminRole(): AppRole;
export function scopeNames(kind: EntraKind): string[];
export function requiredResourceAccess(kind: EntraKind): RequiredResourceAccess[];
export function optionalClaims(kind: EntraKind): OptionalClaims | undefined;
export function buildManifest(kind: string, url: string, name?: string): Application;
export function shellQuote(arg: string): string;
export function azCommands(kind: string, url: string, name?: string): AzPlan;
export function settingsFor(kind: EntraKind): [string, string, string][];
export function afterwards(kind: EntraKind): string[];
export function renderScript(plan: AzPlan): string;
