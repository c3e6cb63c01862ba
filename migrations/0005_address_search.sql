-- Full-text address search (Search_Addresses in the synthetic dataset): an FTS5 index over each
-- address's street, house number, postcode and place. Its rowid is the address's BAG id as an
-- integer (16 digits fit in 64 bits; printf('%016d', rowid) gives the id back with its leading
-- zeros), so a row is found and removed by id without a scan, and VACUUM cannot renumber it.
-- Triggers keep it in step with `addresses`, whoever writes them: the seed, the live cache.

CREATE VIRTUAL TABLE address_search USING fts5(
  street,
  -- the house number alone ("20"); letter and addition are matched on `addresses` itself
  house_number,
  -- "3815DT 3815": the full postcode and its PC4
  postcode,
  place,
  tokenize = 'unicode61 remove_diacritics 2',
  prefix = '2 3'
);

-- Rank by bm25 with the street weighted most, then place and postcode; `ORDER BY rank` uses it.
INSERT INTO address_search (address_search, rank) VALUES ('rank', 'bm25(4.0, 1.0, 2.0, 2.0)');

-- Addresses already in the database (a deployed one; a fresh one is filled by the triggers).
INSERT INTO address_search (rowid, street, house_number, postcode, place)
SELECT CAST(id AS INTEGER), street, CAST(house_number AS TEXT), postcode || ' ' || substr(postcode, 1, 4), place FROM addresses;

-- Each trigger first removes the id's row, so an INSERT OR REPLACE into `addresses` (whose
-- implicit delete fires no delete trigger) never leaves a stale or duplicate search row.
CREATE TRIGGER addresses_search_insert AFTER INSERT ON addresses BEGIN
  DELETE FROM address_search WHERE rowid = CAST(new.id AS INTEGER);
  INSERT INTO address_search (rowid, street, house_number, postcode, place)
  VALUES (CAST(new.id AS INTEGER), new.street, CAST(new.house_number AS TEXT), new.postcode || ' ' || substr(new.postcode, 1, 4), new.place);
END;

CREATE TRIGGER addresses_search_delete AFTER DELETE ON addresses BEGIN
  DELETE FROM address_search WHERE rowid = CAST(old.id AS INTEGER);
END;

CREATE TRIGGER addresses_search_update AFTER UPDATE OF id, street, house_number, postcode, place ON addresses BEGIN
  DELETE FROM address_search WHERE rowid = CAST(old.id AS INTEGER);
  DELETE FROM address_search WHERE rowid = CAST(new.id AS INTEGER);
  INSERT INTO address_search (rowid, street, house_number, postcode, place)
  VALUES (CAST(new.id AS INTEGER), new.street, CAST(new.house_number AS TEXT), new.postcode || ' ' || substr(new.postcode, 1, 4), new.place);
END;
