CREATE TABLE orders (id integer PRIMARY KEY, total integer NOT NULL, CONSTRAINT orders_total_check CHECK (total >= 0) NO INHERIT);
