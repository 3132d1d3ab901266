CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);
CREATE VIEW sorted_emails AS SELECT email FROM accounts ORDER BY email;
CREATE MATERIALIZED VIEW email_domains AS SELECT DISTINCT split_part(email, '@', 2) AS domain FROM accounts;
