CREATE TABLE people (
    id integer PRIMARY KEY,
    email text NOT NULL,
    name varchar(100),
    doc jsonb
);
INSERT INTO people (id, email, name, doc) VALUES (1, 'a@example.com', 'Ann', '{"a": 1}'), (2, 'b@example.com', NULL, NULL);
CREATE INDEX people_email_pattern ON people (email text_pattern_ops);
CREATE INDEX people_doc_path ON people USING gin (doc jsonb_path_ops);
CREATE INDEX people_lower_name ON people ((lower(name)) text_pattern_ops DESC);
CREATE INDEX people_email_default ON people (email);
