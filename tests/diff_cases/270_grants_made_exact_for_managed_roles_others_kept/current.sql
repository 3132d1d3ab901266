DO $$ BEGIN CREATE ROLE tf270_app NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE tf270_ro NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE tf270_other NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
CREATE TABLE docs (id serial PRIMARY KEY, title text);
GRANT SELECT, DELETE ON docs TO tf270_ro;
GRANT SELECT ON docs TO tf270_other;
