DO $$ BEGIN CREATE ROLE tf271_app NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
