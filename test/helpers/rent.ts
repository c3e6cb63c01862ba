import { env } from "cloudflare:workers";
import type { RentOutput } from "../../src/mcp/tools/rent";

/** What the Calculate_Rent_Points tests share: the tool's structured output as they read it, and a seeded address to count. */

/** Calculate_Rent_Points' structured content (the tool's output schema). */
export type RentPointsOut = RentOutput;
/** One rubriek of it: points, range, table version, where its input came from. */
export type RentRubriekOut = RentOutput["rubrieken"][number];

/** The first (by id) seeded main address whose unit matches `where` (SQL on `a` addresses and `u` units). */
export async function pickSeededAddress(where: string): Promise<string> {
  const row = await env.DB.prepare(
    `SELECT a.id FROM addresses a JOIN units u ON u.id = a.unit_id WHERE a.is_synthetic = 1 AND a.is_main = 1 AND ${where} ORDER BY a.id LIMIT 1`,
  ).first<{ id: string }>();
  if (!row) throw new Error(`no seeded address where ${where}`);
  return row.id;
}
