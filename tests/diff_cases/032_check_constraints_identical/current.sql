CREATE TABLE products (
    id serial PRIMARY KEY,
    sku varchar(12) NOT NULL UNIQUE,
    currency_code varchar(3) NOT NULL DEFAULT 'EUR' CHECK (length(currency_code) = 3),
    price numeric(10,2) NOT NULL CHECK (price > 0),
    sale_price numeric(10,2),
    discount_pct int NOT NULL DEFAULT 0,
    status varchar(20) NOT NULL DEFAULT 'draft',
    available_from date,
    available_until date,
    CONSTRAINT products_status_allowed CHECK (status IN ('draft', 'active', 'archived')),
    CONSTRAINT products_discount_range CHECK (discount_pct BETWEEN 0 AND 100),
    CONSTRAINT products_sale_below_price CHECK (sale_price IS NULL OR sale_price < price),
    CHECK (available_until > available_from)
);
INSERT INTO products (sku, price, sale_price, discount_pct, status)
VALUES ('MUG-00000001', 12.90, 9.90, 20, 'active');
