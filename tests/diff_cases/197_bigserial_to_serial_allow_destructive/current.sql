CREATE TABLE events (id bigserial PRIMARY KEY, name text);
ALTER SEQUENCE events_id_seq MAXVALUE 99999999999;
INSERT INTO events (name) VALUES ('first'), ('second');
