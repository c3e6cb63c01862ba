import type { Context, Hono } from "hono";
import { clientAddress, recordAudit } from "../audit/record";
import type { Config } from "../config";
import { checkLink } from "../files/links";
import { CONTENT_TYPES, portfolioFileKey } from "../files/portfolio-files";
import { describeError, log } from "../log";
import { MessagePage } from "./pages";

/**
 * `GET /files/<job id>.<csv|xlsx>?o=…&e=…&s=…`: a portfolio result file through its signed link
 * (src/files/links.ts). No sign-in: the link is the capability. The order of the checks is the
 * order of the answers: a link that is malformed, altered or signed for another user or job is
 * `403`, a genuine one past its time `410` (both before R2 is asked, so neither says whether a
 * file exists), a genuine one whose file is not built (yet) `404`. Each answer is a
 * `portfolio.download` or `portfolio.download_refused` audit event with the job id and format;
 * the link's signature goes nowhere (no log line here prints a URL or its query).
 */

/** Every answer of this route: nothing cached, and the link never sent on as a referrer. */
const PRIVATE = { "cache-control": "private, no-store", "referrer-policy": "no-referrer" } as const;

type FilesContext = Context<{ Bindings: Env }>;

export function mountFiles(app: Hono<{ Bindings: Env }>, config: Config): void {
  app.get("/files/:name", async (c) => {
    const url = new URL(c.req.url);
    const check = await checkLink(config, url);
    const where = { ...(check.jobId !== undefined && { jobId: check.jobId }), ...(check.format !== undefined && { format: check.format }) };
    const ip = clientAddress(c.req.raw);
    const refuse = async (status: 403 | 404 | 410, reason: string, title: string, message: string) => {
      await recordAudit(c.env, {
        kind: "portfolio.download_refused",
        outcome: status === 404 ? "error" : "denied",
        actor: "user",
        reason,
        details: { ...where, ...(ip !== undefined && { ip }) },
      });
      return page(c, status, title, message);
    };
    if (!check.ok && check.reason === "expired") {
      return refuse(
        410,
        "link_expired",
        "This download link has expired",
        "Download links work for a limited time. Ask for the portfolio result again (Get_Portfolio_Result) to get fresh links.",
      );
    }
    if (!check.ok) {
      return refuse(
        403,
        "link_invalid",
        "This download link is not valid",
        "The link is incomplete or was changed, or it belongs to someone else. Use the links exactly as Get_Portfolio_Result gave them, or ask for the result again.",
      );
    }
    let object: R2ObjectBody | null;
    try {
      object = await c.env.FILES.get(portfolioFileKey(check.tag, check.jobId, check.format));
    } catch (error) {
      log("error", "download_failed", { jobId: check.jobId, format: check.format, error: describeError(error) });
      return page(c, 503, "The file cannot be fetched right now", "The file store did not answer. Try the link again in a minute.", {
        "retry-after": "60",
      });
    }
    if (object === null) {
      return refuse(
        404,
        "not_built",
        "This file is not ready",
        "The portfolio's result files are written when the job finishes. Ask for the portfolio result again once the job is done.",
      );
    }
    const owner = object.customMetadata?.owner;
    await recordAudit(c.env, {
      kind: "portfolio.download",
      outcome: "success",
      actor: "user",
      ...(owner !== undefined && { userKey: owner }),
      details: { ...where, ...(ip !== undefined && { ip }) },
    });
    const date = object.uploaded.toISOString().slice(0, 10);
    const filename = `pandgate-portfolio-${date}-${check.jobId.slice(0, 8)}.${check.format}`;
    return new Response(object.body, {
      headers: {
        ...PRIVATE,
        "content-type": CONTENT_TYPES[check.format],
        "content-length": String(object.size),
        "content-disposition": `attachment; filename="${filename}"`,
        "x-content-type-options": "nosniff",
      },
    });
  });
}

function page(c: FilesContext, status: 403 | 404 | 410 | 503, title: string, message: string, extra: Record<string, string> = {}) {
  return c.html(<MessagePage title={title} message={message} />, status, { ...PRIVATE, ...extra });
}
