CREATE DOMAIN posint AS integer DEFAULT 1 NOT NULL
    CONSTRAINT positive CHECK (VALUE > 0)
    CONSTRAINT small CHECK (VALUE < 1000)
    CONSTRAINT legacy CHECK (VALUE <> 13);
CREATE TABLE items (
    id bigint PRIMARY KEY,
    qty posint
);
INSERT INTO items VALUES (1, 5), (2, 500);
