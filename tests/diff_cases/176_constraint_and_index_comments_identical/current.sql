CREATE TABLE accounts (id integer PRIMARY KEY, email text NOT NULL UNIQUE, owner integer,
  CONSTRAINT accounts_email_check CHECK (email <> ''),
  CONSTRAINT accounts_owner_fk FOREIGN KEY (owner) REFERENCES accounts (id));
CREATE INDEX accounts_lower_email_idx ON accounts (lower(email));
COMMENT ON CONSTRAINT accounts_pkey ON accounts IS 'the account number';
COMMENT ON CONSTRAINT accounts_email_key ON accounts IS 'one account per address';
COMMENT ON CONSTRAINT accounts_email_check ON accounts IS 'no empty addresses';
COMMENT ON CONSTRAINT accounts_owner_fk ON accounts IS 'who pays';
COMMENT ON INDEX accounts_lower_email_idx IS 'case-insensitive lookups';
