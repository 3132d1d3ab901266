CREATE TYPE address AS (street text, zip integer, note text);
CREATE TABLE people (id bigint PRIMARY KEY, home address);
INSERT INTO people VALUES (1, ROW('Main St', 12345, 'x'));
