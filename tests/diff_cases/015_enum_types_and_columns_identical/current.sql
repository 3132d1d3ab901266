CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped', 'delivered', 'cancelled');
CREATE TYPE payment_method AS ENUM ('card', 'bank_transfer', 'paypal');

CREATE TABLE orders (
    id serial PRIMARY KEY,
    status order_status NOT NULL DEFAULT 'pending',
    payment_method payment_method,
    placed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON orders (status);

INSERT INTO orders (status, payment_method) VALUES ('paid', 'card'), (DEFAULT, NULL);
