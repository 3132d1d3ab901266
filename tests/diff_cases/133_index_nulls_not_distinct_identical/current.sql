CREATE TABLE people (
    id integer PRIMARY KEY,
    email text NOT NULL,
    name varchar(100),
    doc jsonb
);
INSERT INTO people (id, email, name, doc) VALUES (1, 'a@example.com', 'Ann', '{"a": 1}'), (2, 'b@example.com', NULL, NULL);
CREATE UNIQUE INDEX people_name_once ON people (name) NULLS NOT DISTINCT;
CREATE UNIQUE INDEX people_email_once ON people (email) NULLS DISTINCT;
