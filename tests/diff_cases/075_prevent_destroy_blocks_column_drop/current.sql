CREATE TABLE ledger_entries (
    id bigserial PRIMARY KEY,
    account varchar(20) NOT NULL,
    amount_cents bigint NOT NULL,
    legacy_note text
);
INSERT INTO ledger_entries (account, amount_cents, legacy_note) VALUES ('4000', 1500, 'migrated from v1');
