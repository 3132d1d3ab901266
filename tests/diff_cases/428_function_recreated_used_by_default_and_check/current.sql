CREATE FUNCTION seed() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 1';
CREATE TABLE items (id bigint PRIMARY KEY, n integer NOT NULL DEFAULT seed() CHECK (n >= seed()));
