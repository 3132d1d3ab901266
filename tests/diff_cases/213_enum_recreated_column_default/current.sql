CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped', 'lost');

CREATE TABLE orders (
    id integer PRIMARY KEY,
    status order_status NOT NULL DEFAULT 'pending',
    previous order_status DEFAULT 'lost'
);
INSERT INTO orders (id, status) VALUES (1, 'paid');
INSERT INTO orders (id) VALUES (2);
UPDATE orders SET previous = NULL;
