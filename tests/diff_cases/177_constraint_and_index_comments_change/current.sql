CREATE TABLE accounts (id integer PRIMARY KEY, email text NOT NULL UNIQUE, owner integer,
  CONSTRAINT accounts_email_check CHECK (email <> ''),
  CONSTRAINT accounts_owner_fk FOREIGN KEY (owner) REFERENCES accounts (id));
CREATE INDEX accounts_lower_email_idx ON accounts (lower(email));

COMMENT ON CONSTRAINT accounts_pkey ON accounts IS 'an old remark';
COMMENT ON CONSTRAINT accounts_email_check ON accounts IS 'no empty addresses';
COMMENT ON INDEX accounts_lower_email_idx IS 'case-insensitive lookups';
