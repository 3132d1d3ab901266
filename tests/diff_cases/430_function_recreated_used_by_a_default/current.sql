CREATE FUNCTION next_code() RETURNS text LANGUAGE sql AS $$SELECT 'c-' || count(*) FROM pg_class$$;
CREATE TABLE items (id bigint PRIMARY KEY, code text NOT NULL DEFAULT next_code());
INSERT INTO items (id) VALUES (1), (2);
