CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');

CREATE TABLE entries (
    id integer PRIMARY KEY,
    mood mood NOT NULL,
    history mood[]
);
INSERT INTO entries VALUES (1, 'sad', '{sad,ok}'), (2, 'happy', NULL), (3, 'ok', '{happy}');
