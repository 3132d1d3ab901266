CREATE SCHEMA billing;

CREATE TABLE invoices (
    id serial PRIMARY KEY,
    supplier varchar(120) NOT NULL,
    amount numeric(10,2) NOT NULL,
    received_on date NOT NULL DEFAULT CURRENT_DATE
);
CREATE INDEX ON invoices (received_on);

CREATE TABLE billing.invoices (
    id bigserial PRIMARY KEY,
    number varchar(20) NOT NULL UNIQUE,
    amount numeric(10,2) NOT NULL,
    issued_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON billing.invoices (issued_at);
