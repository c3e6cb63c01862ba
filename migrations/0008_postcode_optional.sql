-- addresses.postcode may be NULL. BAG registers some addresses without a postcode (sheds,
-- garages, some moorings: units whose only use is "overige gebruiksfunctie"); the live source
-- finds them by their nummeraanduiding id and caches them like any other address. A postcode
-- that is there must still be a compact Dutch one.
-- As in 0005_in_research_nullable.sql, the table is not rebuilt (dropping it would fire ON DELETE
-- CASCADE on its children): the column is copied aside, the index and triggers that read it are
-- dropped, the column is dropped and added back without NOT NULL, the values are copied back, and
-- the index and triggers are created again exactly as 0002_property_data.sql and
-- 0005_address_search.sql made them. With the triggers gone while the values move, address_search
-- is not touched. The column now comes last in `addresses`; every statement names its columns.
ALTER TABLE addresses ADD COLUMN postcode_copy TEXT;
UPDATE addresses SET postcode_copy = postcode;
DROP INDEX addresses_by_key;
DROP TRIGGER addresses_search_insert;
DROP TRIGGER addresses_search_update;
ALTER TABLE addresses DROP COLUMN postcode;
ALTER TABLE addresses ADD COLUMN postcode TEXT CHECK (postcode IS NULL OR postcode GLOB '[1-9][0-9][0-9][0-9][A-Z][A-Z]');
UPDATE addresses SET postcode = postcode_copy;
ALTER TABLE addresses DROP COLUMN postcode_copy;

-- Unique per key among addresses with a postcode (NULLs are distinct in a unique index, so
-- addresses without a postcode are told apart by their id alone).
CREATE UNIQUE INDEX addresses_by_key ON addresses (postcode, house_number, ifnull(house_letter, ''), ifnull(house_number_addition, ''));

CREATE TRIGGER addresses_search_insert AFTER INSERT ON addresses BEGIN
  DELETE FROM address_search WHERE rowid = CAST(new.id AS INTEGER);
  INSERT INTO address_search (rowid, street, house_number, postcode, place)
  VALUES (CAST(new.id AS INTEGER), new.street, CAST(new.house_number AS TEXT), new.postcode || ' ' || substr(new.postcode, 1, 4), new.place);
END;

CREATE TRIGGER addresses_search_update AFTER UPDATE OF id, street, house_number, postcode, place ON addresses BEGIN
  DELETE FROM address_search WHERE rowid = CAST(old.id AS INTEGER);
  DELETE FROM address_search WHERE rowid = CAST(new.id AS INTEGER);
  INSERT INTO address_search (rowid, street, house_number, postcode, place)
  VALUES (CAST(new.id AS INTEGER), new.street, CAST(new.house_number AS TEXT), new.postcode || ' ' || substr(new.postcode, 1, 4), new.place);
END;
