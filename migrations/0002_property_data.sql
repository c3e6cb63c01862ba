-- Dutch property data (BAG-shaped addresses, units and buildings; EP-Online-shaped energy labels;
-- CBS-shaped neighbourhood statistics) and each user's saved assessments.
-- Every register row says where it came from: is_synthetic (1 for the generated seed dataset),
-- source (register or generator name) and retrieved_at (ISO 8601, when it was fetched or made).

CREATE TABLE municipalities (
  code            TEXT PRIMARY KEY NOT NULL CHECK (code GLOB 'GM[0-9][0-9][0-9][0-9]'),
  name            TEXT NOT NULL,
  province_code   TEXT NOT NULL,
  province_name   TEXT NOT NULL,
  corop_name      TEXT NOT NULL,
  -- COROP-area average WOZ value per m² (EUR), the value baseline of a quick assessment
  woz_per_m2      INTEGER NOT NULL,
  woz_per_m2_year INTEGER NOT NULL,
  is_synthetic    INTEGER NOT NULL CHECK (is_synthetic IN (0, 1)),
  source          TEXT NOT NULL,
  retrieved_at    TEXT NOT NULL
) STRICT;

CREATE TABLE districts (
  code              TEXT PRIMARY KEY NOT NULL CHECK (code GLOB 'WK??????'),
  municipality_code TEXT NOT NULL REFERENCES municipalities (code),
  name              TEXT NOT NULL,
  is_synthetic      INTEGER NOT NULL CHECK (is_synthetic IN (0, 1)),
  source            TEXT NOT NULL,
  retrieved_at      TEXT NOT NULL
) STRICT;
CREATE INDEX districts_municipality ON districts (municipality_code);

CREATE TABLE neighbourhoods (
  code                  TEXT PRIMARY KEY NOT NULL CHECK (code GLOB 'BU????????'),
  district_code         TEXT NOT NULL REFERENCES districts (code),
  municipality_code     TEXT NOT NULL REFERENCES municipalities (code),
  name                  TEXT NOT NULL,
  dataset_year          INTEGER NOT NULL,
  inhabitants           INTEGER,
  households            INTEGER,
  avg_household_size    REAL,
  -- CBS unit: ×1000 EUR
  avg_woz_thousands     REAL,
  pct_owner_occupied    REAL,
  pct_built_before_1945 REAL,
  dist_gp_km            REAL,
  dist_supermarket_km   REAL,
  dist_school_km        REAL,
  dist_station_km       REAL,
  -- Leefbaarometer-like class 1..9 and deviation from the national mean
  liveability_class     INTEGER CHECK (liveability_class BETWEEN 1 AND 9),
  liveability_deviation REAL,
  crime_per_1000        REAL,
  -- maximum flood depth class in cm: '0', '0-20', '20-50', '50-200', '>200'
  flood_depth_class     TEXT,
  soil_type             TEXT CHECK (soil_type IN ('sand', 'clay', 'peat')),
  foundation_risk_area  INTEGER CHECK (foundation_risk_area IN (0, 1)),
  is_synthetic          INTEGER NOT NULL CHECK (is_synthetic IN (0, 1)),
  source                TEXT NOT NULL,
  retrieved_at          TEXT NOT NULL
) STRICT;
CREATE INDEX neighbourhoods_district ON neighbourhoods (district_code);

-- BAG panden
CREATE TABLE buildings (
  id           TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 16 AND substr(id, 5, 2) = '10'),
  build_year   INTEGER,
  status       TEXT NOT NULL,
  is_synthetic INTEGER NOT NULL CHECK (is_synthetic IN (0, 1)),
  source       TEXT NOT NULL,
  retrieved_at TEXT NOT NULL
) STRICT;

-- BAG verblijfsobjecten, ligplaatsen and standplaatsen
CREATE TABLE units (
  id            TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 16 AND substr(id, 5, 2) IN ('01', '02', '03')),
  kind          TEXT NOT NULL CHECK (kind IN ('verblijfsobject', 'ligplaats', 'standplaats')),
  surface_m2    INTEGER,
  -- JSON array of gebruiksdoelen, e.g. ["woonfunctie","winkelfunctie"]
  use_purposes  TEXT NOT NULL,
  status        TEXT NOT NULL,
  dwelling_type TEXT,
  in_research   INTEGER NOT NULL DEFAULT 0 CHECK (in_research IN (0, 1)),
  is_synthetic  INTEGER NOT NULL CHECK (is_synthetic IN (0, 1)),
  source        TEXT NOT NULL,
  retrieved_at  TEXT NOT NULL
) STRICT;

CREATE TABLE unit_buildings (
  unit_id     TEXT NOT NULL REFERENCES units (id) ON DELETE CASCADE,
  building_id TEXT NOT NULL REFERENCES buildings (id),
  PRIMARY KEY (unit_id, building_id)
) STRICT;
CREATE INDEX unit_buildings_building ON unit_buildings (building_id);

-- BAG nummeraanduidingen with their place in the hierarchy and a WGS84 point
CREATE TABLE addresses (
  id                    TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 16 AND substr(id, 5, 2) = '20'),
  unit_id               TEXT NOT NULL REFERENCES units (id),
  is_main               INTEGER NOT NULL DEFAULT 1 CHECK (is_main IN (0, 1)),
  postcode              TEXT NOT NULL CHECK (postcode GLOB '[1-9][0-9][0-9][0-9][A-Z][A-Z]'),
  house_number          INTEGER NOT NULL CHECK (house_number BETWEEN 1 AND 99999),
  house_letter          TEXT CHECK (house_letter GLOB '[A-Za-z]'),
  house_number_addition TEXT CHECK (length(house_number_addition) BETWEEN 1 AND 4),
  street                TEXT NOT NULL,
  place                 TEXT NOT NULL,
  municipality_code     TEXT NOT NULL REFERENCES municipalities (code),
  neighbourhood_code    TEXT REFERENCES neighbourhoods (code),
  lat                   REAL NOT NULL CHECK (lat BETWEEN 50.5 AND 53.7),
  lon                   REAL NOT NULL CHECK (lon BETWEEN 3.2 AND 7.3),
  is_synthetic          INTEGER NOT NULL CHECK (is_synthetic IN (0, 1)),
  source                TEXT NOT NULL,
  retrieved_at          TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX addresses_by_key ON addresses (postcode, house_number, ifnull(house_letter, ''), ifnull(house_number_addition, ''));
CREATE INDEX addresses_by_unit ON addresses (unit_id);
CREATE INDEX addresses_by_neighbourhood ON addresses (neighbourhood_code);

-- EP-Online registrations (current and historical)
CREATE TABLE energy_labels (
  id                TEXT PRIMARY KEY NOT NULL,
  unit_id           TEXT NOT NULL REFERENCES units (id) ON DELETE CASCADE,
  energy_class      TEXT NOT NULL CHECK (energy_class IN ('A+++++', 'A++++', 'A+++', 'A++', 'A+', 'A', 'B', 'C', 'D', 'E', 'F', 'G')),
  registered_at     TEXT NOT NULL,
  inspected_at      TEXT,
  valid_until       TEXT NOT NULL,
  -- 'NTA 8800' (EP2 in kWh/m²·yr) or 'Energie-Index' (before 2021)
  method            TEXT NOT NULL CHECK (method IN ('NTA 8800', 'Energie-Index')),
  calculation_type  TEXT,
  ep2_kwh_m2        REAL,
  energy_index      REAL,
  building_type     TEXT,
  label_build_year  INTEGER,
  thermal_area_m2   REAL,
  is_synthetic      INTEGER NOT NULL CHECK (is_synthetic IN (0, 1)),
  source            TEXT NOT NULL,
  retrieved_at      TEXT NOT NULL
) STRICT;
CREATE INDEX energy_labels_by_unit ON energy_labels (unit_id, registered_at DESC);

-- When a live register was last asked about something, so a miss is cached too.
CREATE TABLE register_fetches (
  register     TEXT NOT NULL,
  subject      TEXT NOT NULL,
  retrieved_at TEXT NOT NULL,
  found        INTEGER NOT NULL CHECK (found IN (0, 1)),
  PRIMARY KEY (register, subject)
) STRICT;

-- Each user's saved quick assessments
CREATE TABLE assessments (
  id             TEXT PRIMARY KEY NOT NULL,
  owner_key      TEXT NOT NULL,
  tenant_id      TEXT NOT NULL,
  address_id     TEXT NOT NULL REFERENCES addresses (id),
  address_label  TEXT NOT NULL,
  inputs         TEXT NOT NULL,
  result         TEXT NOT NULL,
  engine_version TEXT NOT NULL,
  created_at     TEXT NOT NULL,
  -- set when the assessment was made by a portfolio job
  job_id         TEXT
) STRICT;
CREATE INDEX assessments_by_owner ON assessments (owner_key, created_at DESC);
CREATE INDEX assessments_by_owner_address ON assessments (owner_key, address_id, created_at DESC);
CREATE INDEX assessments_by_tenant ON assessments (tenant_id, created_at DESC);
