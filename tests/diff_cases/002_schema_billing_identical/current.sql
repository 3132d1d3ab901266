CREATE SCHEMA billing;

CREATE TYPE billing.invoice_status AS ENUM ('draft', 'issued', 'paid', 'void');

CREATE TABLE billing.customers (
    id SERIAL PRIMARY KEY,
    legal_name varchar(200) NOT NULL,
    vat_number varchar(20) UNIQUE
);

CREATE TABLE billing.invoices (
    id BIGSERIAL PRIMARY KEY,
    customer_id int NOT NULL REFERENCES billing.customers (id),
    status billing.invoice_status NOT NULL DEFAULT 'draft',
    total numeric(12,2) NOT NULL DEFAULT 0,
    issued_at timestamptz
);
CREATE INDEX ON billing.invoices (customer_id);

INSERT INTO billing.customers (legal_name, vat_number) VALUES ('Acme GmbH', 'DE123456789');
INSERT INTO billing.invoices (customer_id, status, total, issued_at) VALUES (1, 'issued', 199.90, '2024-03-01 10:00+00');
