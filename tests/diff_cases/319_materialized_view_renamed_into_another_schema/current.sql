CREATE TABLE accounts (id bigint PRIMARY KEY, balance integer NOT NULL);
CREATE SCHEMA reports;
CREATE MATERIALIZED VIEW totals AS SELECT sum(balance) AS total FROM accounts;
CREATE INDEX totals_total_idx ON totals (total);
