CREATE TABLE ledger_entries (
    id bigserial PRIMARY KEY,
    account varchar(20) NOT NULL,
    amount_cents integer NOT NULL
);
INSERT INTO ledger_entries (account, amount_cents) VALUES ('4000', 1500), ('4010', -200);
