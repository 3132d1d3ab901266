CREATE TABLE users (
    id integer PRIMARY KEY,
    email text NOT NULL,
    legacy_flag integer,
    CONSTRAINT chk_tmp_email CHECK (email <> '')
);
INSERT INTO users VALUES (1, 'ana@example.com', 1);
CREATE INDEX ix_hotfix_email ON users (email);
