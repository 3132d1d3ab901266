DO $$ BEGIN CREATE ROLE tf273_owner NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE tf273_lead NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
CREATE TABLE reports (id integer PRIMARY KEY);
CREATE SEQUENCE ticket_no;
GRANT SELECT ON reports TO tf273_lead WITH GRANT OPTION;
