CREATE TABLE orders (
    id serial PRIMARY KEY,
    customer_id integer NOT NULL,
    status varchar(20) NOT NULL DEFAULT 'new',
    created_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);
CREATE INDEX ix_orders_status ON orders (status);
CREATE INDEX ON orders (customer_id);
INSERT INTO orders (customer_id, status) VALUES (1, 'new'), (1, 'paid'), (2, 'new');
