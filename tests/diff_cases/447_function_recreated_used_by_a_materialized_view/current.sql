CREATE FUNCTION domain_of(e text) RETURNS text LANGUAGE sql IMMUTABLE AS $$SELECT split_part(e, '@', 2)$$;
CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);
INSERT INTO accounts VALUES (1, 'a@x.org'), (2, 'b@y.org');
CREATE MATERIALIZED VIEW domains AS SELECT DISTINCT domain_of(email) AS domain FROM accounts;
CREATE UNIQUE INDEX domains_domain_idx ON domains (domain);
