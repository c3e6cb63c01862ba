-- Cadastral parcels (BRK Kadastrale Kaart, `perceel`) and national monuments (Rijksmonumentenregister,
-- RCE), each linked to the BAG unit (verblijfsobject) they belong to. Like every register row they say
-- where they came from: is_synthetic (1 for the generated seed dataset), source and retrieved_at.

-- A parcel is named by its kadastrale aanduiding: AKR kadastrale gemeente code, sectie and perceelnummer,
-- written "AMF03-B-1234" (the form the Locatieserver's `gekoppeld_perceel` uses). The synthetic dataset
-- uses gemeente codes starting "SY", which no real kadastrale gemeente has.
CREATE TABLE parcels (
  id                TEXT PRIMARY KEY NOT NULL CHECK (id = cadastral_code || '-' || section || '-' || parcel_number),
  cadastral_code    TEXT NOT NULL CHECK (cadastral_code GLOB '[A-Z][A-Z][A-Z0-9][0-9][0-9]'),
  cadastral_name    TEXT,
  section           TEXT NOT NULL CHECK (section GLOB '[A-Z]' OR section GLOB '[A-Z][A-Z]'),
  parcel_number     INTEGER NOT NULL CHECK (parcel_number BETWEEN 1 AND 99999),
  -- kadastrale_grootte_waarde, m²
  area_m2           REAL CHECK (area_m2 >= 0),
  -- soort_grootte_waarde, e.g. whether the area is established or provisional
  area_kind         TEXT,
  is_synthetic      INTEGER NOT NULL CHECK (is_synthetic IN (0, 1)),
  source            TEXT NOT NULL,
  retrieved_at      TEXT NOT NULL
) STRICT;

CREATE TABLE unit_parcels (
  unit_id   TEXT NOT NULL REFERENCES units (id) ON DELETE CASCADE,
  parcel_id TEXT NOT NULL REFERENCES parcels (id) ON DELETE CASCADE,
  PRIMARY KEY (unit_id, parcel_id)
) STRICT;
CREATE INDEX unit_parcels_parcel ON unit_parcels (parcel_id);

-- Rijksmonumenten by monument number. `url` is the register's page; NULL for synthetic monuments,
-- whose numbers (9 000 000 000 and up) are outside the register's range.
CREATE TABLE monuments (
  number       INTEGER PRIMARY KEY NOT NULL CHECK (number > 0),
  url          TEXT,
  is_synthetic INTEGER NOT NULL CHECK (is_synthetic IN (0, 1)),
  source       TEXT NOT NULL,
  retrieved_at TEXT NOT NULL
) STRICT;

CREATE TABLE unit_monuments (
  unit_id         TEXT NOT NULL REFERENCES units (id) ON DELETE CASCADE,
  monument_number INTEGER NOT NULL REFERENCES monuments (number) ON DELETE CASCADE,
  PRIMARY KEY (unit_id, monument_number)
) STRICT;
CREATE INDEX unit_monuments_monument ON unit_monuments (monument_number);
