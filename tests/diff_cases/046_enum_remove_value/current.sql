CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped');

CREATE TABLE orders (
    id serial PRIMARY KEY,
    status order_status NOT NULL DEFAULT 'pending',
    total_cents integer NOT NULL
);
INSERT INTO orders (status, total_cents) VALUES ('pending', 1200), ('paid', 3400), ('shipped', 560);
