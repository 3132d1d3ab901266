CREATE SEQUENCE invoice_number START 1000 MAXVALUE 9999999;
CREATE SEQUENCE ticket_number AS integer INCREMENT BY 10 MINVALUE 100 CACHE 20 CYCLE;

CREATE TABLE invoices (
    id serial PRIMARY KEY,
    number bigint NOT NULL UNIQUE DEFAULT nextval('invoice_number'),
    issued_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO invoices DEFAULT VALUES;
INSERT INTO invoices DEFAULT VALUES;
SELECT nextval('ticket_number');
