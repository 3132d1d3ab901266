CREATE TABLE customers (id integer PRIMARY KEY);
CREATE TABLE clients (id integer PRIMARY KEY);
INSERT INTO customers VALUES (1);
