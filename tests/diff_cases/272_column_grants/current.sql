DO $$ BEGIN CREATE ROLE tf272_ro NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
CREATE TABLE people (id integer PRIMARY KEY, name text, salary numeric);
GRANT SELECT (id, salary) ON people TO tf272_ro;
