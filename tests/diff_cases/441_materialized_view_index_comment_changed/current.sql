CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);
CREATE MATERIALIZED VIEW domains AS SELECT DISTINCT split_part(email, '@', 2) AS domain FROM accounts;
CREATE UNIQUE INDEX domains_domain_idx ON domains (domain);
COMMENT ON INDEX domains_domain_idx IS 'for REFRESH CONCURRENTLY';
