CREATE FUNCTION answer() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 42';
CREATE VIEW answers AS SELECT answer() AS a;
CREATE VIEW answers_twice AS SELECT a * 2 AS b FROM answers;
