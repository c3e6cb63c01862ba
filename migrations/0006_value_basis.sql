-- The live value basis of a quick assessment, per gemeente: CBS average WOZ value of dwellings
-- (85036NED) over their average usable area (85035NED), indexed with the CBS price index of
-- existing owner-occupied dwellings (85773NED). `basis` is the JSON of the domain's ValueBasis
-- (tables, periods, WOZ reference date, index factor); each fetch is also remembered in
-- register_fetches (register 'cbs-kwb', subject 'value:<GMxxxx>'), a miss too.
CREATE TABLE value_basis (
  municipality_code TEXT PRIMARY KEY NOT NULL CHECK (municipality_code GLOB 'GM[0-9][0-9][0-9][0-9]'),
  eur_per_m2        INTEGER NOT NULL CHECK (eur_per_m2 > 0),
  basis             TEXT NOT NULL CHECK (json_valid(basis)),
  retrieved_at      TEXT NOT NULL
) STRICT;
