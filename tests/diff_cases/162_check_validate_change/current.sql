CREATE TABLE orders (id integer PRIMARY KEY, total integer NOT NULL);
INSERT INTO orders VALUES (1, 5), (2, 0);
ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;
