CREATE SEQUENCE invoice_number;
SELECT nextval('invoice_number');
SELECT nextval('invoice_number');
