-- Issue 20 part 5: each portfolio item's WWS estimate (src/data/rent-estimate.ts), computed in the
-- batch that assesses it from the facts that assessment read. `rent_class` is what the summary
-- counts: social | middle | free (the whole points range in one sector), undecided (the range
-- spans a sector boundary), outsideWws (ligplaats, standplaats, not woonfunctie), notAvailable
-- (a needed register could not answer or has no figure). Null for items not assessed (and for
-- items assessed before this migration).
ALTER TABLE portfolio_items ADD COLUMN rent_class TEXT;
ALTER TABLE portfolio_items ADD COLUMN rent_points REAL;
ALTER TABLE portfolio_items ADD COLUMN rent_points_min REAL;
ALTER TABLE portfolio_items ADD COLUMN rent_points_max REAL;
-- The sector of the most likely total, and every sector the range spans (a JSON array, social first).
ALTER TABLE portfolio_items ADD COLUMN rent_sector TEXT;
ALTER TABLE portfolio_items ADD COLUMN rent_sectors TEXT;
-- Maximum kale huur per month (euros) of the most likely total, and its range over the points range.
ALTER TABLE portfolio_items ADD COLUMN rent_max_eur REAL;
ALTER TABLE portfolio_items ADD COLUMN rent_max_eur_min REAL;
ALTER TABLE portfolio_items ADD COLUMN rent_max_eur_max REAL;
-- What the figures rest on (estimates, defaults, table date), or why there are none.
ALTER TABLE portfolio_items ADD COLUMN rent_note TEXT;
