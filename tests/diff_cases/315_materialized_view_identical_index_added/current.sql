CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL, balance integer NOT NULL DEFAULT 0);
CREATE MATERIALIZED VIEW balances_by_domain AS SELECT split_part(email, '@', 2) AS domain, sum(balance) AS total FROM accounts GROUP BY 1 WITH NO DATA;
