CREATE SEQUENCE invoice_numbers START 1000;
CREATE TABLE invoices (id integer PRIMARY KEY, number bigint DEFAULT nextval('invoice_numbers'));
ALTER SEQUENCE invoice_numbers OWNED BY invoices.number;
