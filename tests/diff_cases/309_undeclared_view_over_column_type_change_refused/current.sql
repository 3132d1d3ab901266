CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL, balance integer NOT NULL DEFAULT 0);
CREATE VIEW rich_accounts AS SELECT id, email, balance FROM accounts WHERE balance > 1000;
