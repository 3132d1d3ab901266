CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped');

CREATE TABLE orders (
    id integer PRIMARY KEY,
    status order_status NOT NULL
);
CREATE TABLE returns (
    id integer PRIMARY KEY,
    statuses order_status[] NOT NULL
);
INSERT INTO orders VALUES (1, 'pending'), (2, 'shipped'), (3, 'shipped');
INSERT INTO returns VALUES (1, '{paid}'), (2, '{paid,shipped}');
