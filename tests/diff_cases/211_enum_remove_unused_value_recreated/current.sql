CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped', 'lost');
COMMENT ON TYPE order_status IS 'Where an order is';

CREATE TABLE orders (
    id integer PRIMARY KEY,
    status order_status NOT NULL
);
INSERT INTO orders VALUES (1, 'pending'), (2, 'paid'), (3, 'shipped');
