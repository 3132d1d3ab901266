CREATE UNLOGGED TABLE events (id bigint PRIMARY KEY, body text);
INSERT INTO events SELECT g, 'x' FROM generate_series(1, 3) g;
