CREATE TABLE orders (id integer PRIMARY KEY, number bigint);
CREATE SEQUENCE order_number START WITH 1000 OWNED BY orders.number;
CREATE SCHEMA billing;
CREATE TABLE billing."Invoices" ("Number" bigint);
CREATE SEQUENCE billing.invoice_seq AS integer OWNED BY billing."Invoices"."Number";
