-- Facts about this database itself: schema generation and which dataset it holds.
CREATE TABLE service_meta (
  key   TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
) STRICT;

INSERT INTO service_meta (key, value) VALUES ('schema', '1');
