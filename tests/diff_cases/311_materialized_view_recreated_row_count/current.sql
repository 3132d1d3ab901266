CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL, balance integer NOT NULL DEFAULT 0);
INSERT INTO accounts VALUES (1, 'a@x.org', 5), (2, 'b@y.org', 7);
CREATE MATERIALIZED VIEW balances_by_domain AS SELECT split_part(email, '@', 2) AS domain, sum(balance) AS total FROM accounts GROUP BY 1;
CREATE UNIQUE INDEX balances_by_domain_domain_idx ON balances_by_domain (domain);
