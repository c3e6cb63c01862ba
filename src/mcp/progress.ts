import type { ServerContext } from "@modelcontextprotocol/server";

/**
 * Reports steps of a long tool call as `notifications/progress`. Sends only when the request
 * carried a progress token, echoes that token exactly, and keeps `progress` strictly increasing
 * (a step that would not move forward is dropped rather than sent out of order).
 */
export interface ProgressReporter {
  /** Whether the client asked for progress on this call. */
  readonly enabled: boolean;
  report(progress: number, total?: number, message?: string): Promise<void>;
}

export function createProgressReporter(ctx: ServerContext): ProgressReporter {
  const token = ctx.mcpReq._meta?.progressToken;
  let last = Number.NEGATIVE_INFINITY;
  return {
    enabled: token !== undefined,
    async report(progress, total, message) {
      if (token === undefined || !(progress > last)) return;
      last = progress;
      await ctx.mcpReq.notify({
        method: "notifications/progress",
        params: {
          progressToken: token,
          progress,
          ...(total !== undefined && { total }),
          ...(message !== undefined && { message }),
        },
      });
    },
  };
}
