CREATE TABLE people (
    id integer PRIMARY KEY,
    email text NOT NULL,
    name varchar(100),
    doc jsonb
);
INSERT INTO people (id, email, name, doc) VALUES (1, 'a@example.com', 'Ann', '{"a": 1}'), (2, 'b@example.com', NULL, NULL);
CREATE INDEX people_email_ff ON people (email) WITH (deduplicate_items = false, fillfactor = 70);
CREATE INDEX people_doc_gin ON people USING gin (doc) WITH (fastupdate = true, gin_pending_list_limit = 128);
