CREATE TABLE customers (
    id SERIAL PRIMARY KEY,
    email varchar(255) NOT NULL UNIQUE
);

CREATE TABLE sales_reps (
    id SERIAL PRIMARY KEY,
    name varchar(100) NOT NULL
);

CREATE TABLE products (
    sku varchar(32) PRIMARY KEY,
    title text NOT NULL
);

CREATE TABLE orders (
    id SERIAL PRIMARY KEY,
    customer_id int NOT NULL REFERENCES customers ON DELETE CASCADE,
    sales_rep_id int REFERENCES sales_reps (id) ON DELETE SET NULL ON UPDATE CASCADE,
    placed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE order_lines (
    order_id int REFERENCES orders (id) ON DELETE CASCADE,
    line_no smallint,
    product_sku varchar(32) NOT NULL REFERENCES products (sku) ON UPDATE CASCADE ON DELETE RESTRICT,
    quantity int NOT NULL DEFAULT 1,
    PRIMARY KEY (order_id, line_no)
);

CREATE TABLE shipments (
    id SERIAL PRIMARY KEY,
    order_id int NOT NULL,
    line_no smallint NOT NULL,
    carrier varchar(40),
    FOREIGN KEY (order_id, line_no) REFERENCES order_lines (order_id, line_no)
        ON DELETE CASCADE ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE invoices (
    id SERIAL PRIMARY KEY,
    order_id int NOT NULL CONSTRAINT fk_invoices_order REFERENCES orders (id) DEFERRABLE
);

INSERT INTO customers (email) VALUES ('ana@example.com');
INSERT INTO products VALUES ('MUG-01', 'Coffee mug');
INSERT INTO orders (customer_id) VALUES (1);
INSERT INTO order_lines VALUES (1, 1, 'MUG-01', 2);
INSERT INTO shipments (order_id, line_no, carrier) VALUES (1, 1, 'DHL');
