CREATE TABLE t (
    id integer PRIMARY KEY,
    lo integer CHECK (lo < hi),
    hi integer CHECK (hi > 0),
    email text,
    owner integer REFERENCES t,
    CHECK (lo >= 0 AND hi >= 0)
);
CREATE INDEX ON t ((lower(email)), (lower(email || 'x')));
CREATE INDEX ON t ((email::text));
