CREATE TABLE orders (id integer PRIMARY KEY, old_number bigint);
CREATE SEQUENCE order_number OWNED BY orders.old_number;
SELECT nextval('order_number');
