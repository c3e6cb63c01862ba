-- units.in_research may be unknown (NULL). PDOK BAG OGC API v2 does not publish "in onderzoek",
-- so a unit the live source cached from it cannot say whether it is under investigation; until now
-- those rows were written 0 ("not in research"), which claimed more than the register said.
-- SQLite cannot drop a NOT NULL constraint in place, and rebuilding the table would drop it first
-- (ON DELETE CASCADE would empty unit_buildings and energy_labels). Instead the column is copied
-- aside, dropped and added back without NOT NULL (ALTER TABLE … DROP COLUMN, SQLite ≥ 3.35; the
-- column has no index, view or trigger), keeping the synthetic dataset's 0/1.
ALTER TABLE units ADD COLUMN in_research_copy INTEGER;
UPDATE units SET in_research_copy = in_research;
ALTER TABLE units DROP COLUMN in_research;
ALTER TABLE units ADD COLUMN in_research INTEGER CHECK (in_research IN (0, 1));
UPDATE units SET in_research = in_research_copy WHERE is_synthetic = 1;
ALTER TABLE units DROP COLUMN in_research_copy;
