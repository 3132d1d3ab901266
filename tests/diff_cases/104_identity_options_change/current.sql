CREATE TABLE tickets (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject text
);
INSERT INTO tickets (subject) VALUES ('first'), ('second');
