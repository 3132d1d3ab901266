CREATE TABLE orders (id integer PRIMARY KEY, number bigint);
CREATE SEQUENCE order_number OWNED BY orders.number;
