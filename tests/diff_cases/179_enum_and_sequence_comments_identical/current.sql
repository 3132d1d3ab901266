CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE SEQUENCE invoice_number START WITH 1000;
COMMENT ON TYPE mood IS 'how it went';
COMMENT ON SEQUENCE invoice_number IS 'numbers printed on invoices';
