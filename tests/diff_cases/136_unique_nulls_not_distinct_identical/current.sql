CREATE TABLE accounts (
    id integer PRIMARY KEY,
    code text,
    region text,
    owner text
);
INSERT INTO accounts (id, code, region, owner) VALUES (1, 'a', 'eu', 'x'), (2, NULL, 'us', NULL);
ALTER TABLE accounts ADD UNIQUE NULLS NOT DISTINCT (code);
ALTER TABLE accounts ADD CONSTRAINT accounts_region_owner_once UNIQUE NULLS NOT DISTINCT (region, owner);
ALTER TABLE accounts ADD UNIQUE NULLS DISTINCT (owner);
