import { z } from "zod";
import { IdentitySchema } from "../auth/identity";

/**
 * What the gateway tells the user's agent about each request: the verified identity and the
 * scopes granted to this token. Sent with every request, never cached in the agent.
 */
export const CallerSchema = z.object({
  identity: IdentitySchema,
  scopes: z.array(z.string()),
  clientId: z.string(),
  /** Token expiry (seconds since the epoch), when known. */
  expiresAt: z.number().optional(),
  requestId: z.string(),
});

export type Caller = z.infer<typeof CallerSchema>;
