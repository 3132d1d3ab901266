CREATE TABLE tickets (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text);
SELECT setval(pg_get_serial_sequence('tickets', 'id'), 500);
