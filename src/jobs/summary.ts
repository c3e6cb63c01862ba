// A portfolio job's summary as Get_Portfolio_Result returns it: one shape for the tools
// (./portfolio.ts, ../mcp/) and the portfolio dashboard (apps/), which imports these types.
// Kept free of imports so the apps' typecheck (DOM only, no Worker types) can take it.

export type JobState = "running" | "completed" | "cancelled";

/** Links to a job's result files (made and checked in ../files/links.ts). */
export interface DownloadLinks {
  csv: string;
  xlsx: string;
  /** When both links stop working (ISO 8601). */
  expiresAt: string;
}

/** The WWS classes a job's summary counts, in the order it lists them. */
export interface SectorCounts {
  social: number;
  middle: number;
  free: number;
  undecided: number;
  outsideWws: number;
  notAvailable: number;
  /**
   * Every dwelling with a points estimate (social, middle, free and undecided together) by the
   * sector of its most likely total: where the ranges leave the sector open, what is most likely.
   */
  mostLikely: { social: number; middle: number; free: number };
}

/** The WWS classes of `SectorCounts`, each counted once. */
export type SectorClass = Exclude<keyof SectorCounts, "mostLikely">;

/** How texts name each class of `SectorCounts`. */
export const SECTOR_WORDS: Record<SectorClass, string> = {
  social: "social",
  middle: "middle",
  free: "free",
  undecided: "undecided (range spans a boundary)",
  outsideWws: "outside the WWS",
  notAvailable: "not available",
};

export interface JobSummary {
  jobId: string;
  state: JobState;
  total: number;
  done: number;
  failed: number;
  /** Addresses named more than once: dropped when the job was created, or found when it ran. */
  duplicatesDropped: number;
  createdAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  /** Addresses assessed and saved (processed minus failed minus duplicates found while running). */
  assessed: number;
  labelCounts: Record<string, number>;
  valueBands: Record<string, number>;
  riskCounts: Record<string, number>;
  /**
   * Assessed addresses per WWS estimate (issue 20): the whole points range social, middle or free;
   * undecided (the range spans a sector boundary); outside the WWS (ligplaats, standplaats, not a
   * dwelling); not available (a register could not answer or has no figure). Estimates from
   * registers and stated defaults, not formal points counts.
   */
  sectorCounts: SectorCounts;
  /** The first LISTED_MAX (./portfolio.ts) failures in input order; `moreFailures` counts the rest. */
  failures: Array<{ input: string; reason: string }>;
  moreFailures?: number;
  /** The first LISTED_MAX saved assessments' ids in input order; `moreAssessmentIds` counts the rest. */
  assessmentIds: string[];
  moreAssessmentIds?: number;
  /**
   * Links to the job's result spreadsheets (one row per address), once its workflow has written
   * them: after the last batch, or after the batch that saw a cancel. Null before.
   */
  downloads: DownloadLinks | null;
}
