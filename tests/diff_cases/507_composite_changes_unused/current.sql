CREATE TYPE money_amount AS (value integer, currency char(3), note text);
CREATE TABLE ledger (id bigint PRIMARY KEY);
