CREATE TABLE events (id serial PRIMARY KEY, name text);
INSERT INTO events (name) VALUES ('first'), ('second');
