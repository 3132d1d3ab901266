CREATE DOMAIN amount AS integer CHECK (VALUE >= 0);
CREATE TABLE orders (id bigint PRIMARY KEY, total amount);
INSERT INTO orders VALUES (1, 10);
