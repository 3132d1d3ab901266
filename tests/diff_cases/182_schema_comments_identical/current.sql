CREATE SCHEMA billing;
CREATE TABLE billing.invoices (id integer PRIMARY KEY);
COMMENT ON SCHEMA billing IS 'invoices and payments';
COMMENT ON SCHEMA public IS 'the application';
