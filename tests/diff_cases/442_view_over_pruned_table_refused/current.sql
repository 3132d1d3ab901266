CREATE TABLE items (id bigint PRIMARY KEY);
CREATE TABLE legacy (id bigint PRIMARY KEY, note text);
CREATE VIEW notes AS SELECT id, note FROM legacy;
