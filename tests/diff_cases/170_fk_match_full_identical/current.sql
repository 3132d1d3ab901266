CREATE TABLE customers (id integer PRIMARY KEY, region integer NOT NULL, UNIQUE (id, region));
CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer, region integer);
INSERT INTO customers VALUES (1, 10);

ALTER TABLE orders ADD FOREIGN KEY (customer_id, region) REFERENCES customers (id, region) MATCH FULL;
