CREATE TABLE people (
    id integer PRIMARY KEY,
    email text NOT NULL,
    name varchar(100),
    doc jsonb
);
INSERT INTO people (id, email, name, doc) VALUES (1, 'a@example.com', 'Ann', '{"a": 1}'), (2, 'b@example.com', NULL, NULL);
