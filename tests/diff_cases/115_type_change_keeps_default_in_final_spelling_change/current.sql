CREATE TABLE notes (
    id integer PRIMARY KEY,
    title varchar(20) NOT NULL DEFAULT 'untitled'
);
INSERT INTO notes VALUES (1, 'first');
