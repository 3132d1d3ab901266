CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE people (id bigint PRIMARY KEY, mood mood NOT NULL);
INSERT INTO people VALUES (1, 'ok'), (2, 'happy');
CREATE VIEW happy_people AS SELECT id FROM people WHERE mood = 'happy';
