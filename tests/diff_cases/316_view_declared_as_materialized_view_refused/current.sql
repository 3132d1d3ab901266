CREATE TABLE accounts (id bigint PRIMARY KEY, balance integer NOT NULL);
CREATE VIEW totals AS SELECT sum(balance) AS total FROM accounts;
