CREATE TABLE ledger_lines (
    id serial PRIMARY KEY,
    account_no smallint NOT NULL,
    amount numeric(10,2) NOT NULL,
    booked_at timestamp(3) NOT NULL
);
INSERT INTO ledger_lines (account_no, amount, booked_at) VALUES (4000, 12345678.90, '2024-02-29 23:59:59.999');
