CREATE SEQUENCE invoice_number START 1000 MAXVALUE 9999999;
SELECT nextval('invoice_number');
SELECT nextval('invoice_number');
