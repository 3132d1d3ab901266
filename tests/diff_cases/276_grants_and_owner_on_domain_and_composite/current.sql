DO $$ BEGIN CREATE ROLE tf276_app NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE tf276_owner NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
REVOKE USAGE ON DOMAIN positive FROM PUBLIC;
