CREATE TABLE users (
    id serial PRIMARY KEY,
    email varchar(255) NOT NULL UNIQUE
);
CREATE SEQUENCE invoice_number START 500;
SELECT nextval('invoice_number');
