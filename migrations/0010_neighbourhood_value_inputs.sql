-- The neighbourhood factor of the indicative value (quick-assess/3, docs/value-method.md) compares a
-- buurt's average WOZ with its municipality's, both from the same CBS Kerncijfers wijken en buurten
-- table and year, and weighs the buurt by its number of dwellings.
-- dwellings: KWB `Woningvoorraad` of the buurt (count); NULL when not published.
-- municipality_avg_woz_thousands: KWB `GemiddeldeWOZWaardeVanWoningen` of the buurt's GM row in the
-- same table (×1000 EUR, like avg_woz_thousands); NULL when not known.
ALTER TABLE neighbourhoods ADD COLUMN dwellings INTEGER;
ALTER TABLE neighbourhoods ADD COLUMN municipality_avg_woz_thousands REAL;
