DO $$ BEGIN CREATE ROLE tf275_ro NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
CREATE TABLE t (id integer PRIMARY KEY, amount integer);
CREATE VIEW v AS SELECT id, amount FROM t;
GRANT SELECT ON v TO tf275_ro;
