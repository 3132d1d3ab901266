CREATE TABLE accounts (
    id integer PRIMARY KEY,
    code text,
    region text,
    owner text
);
INSERT INTO accounts (id, code, region, owner) VALUES (1, 'a', 'eu', 'x'), (2, NULL, 'us', NULL);
