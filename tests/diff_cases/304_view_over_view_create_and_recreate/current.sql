CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL, balance integer NOT NULL DEFAULT 0);
CREATE VIEW rich_accounts AS SELECT id, email FROM accounts WHERE balance > 1000;
CREATE VIEW rich_emails AS SELECT email FROM rich_accounts;
