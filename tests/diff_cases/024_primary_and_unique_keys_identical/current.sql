CREATE TABLE warehouses (
    id integer PRIMARY KEY,
    code varchar(10) NOT NULL UNIQUE,
    name text NOT NULL
);

CREATE TABLE stock_levels (
    warehouse_id integer NOT NULL,
    sku varchar(32) NOT NULL,
    bin_code varchar(16) NOT NULL,
    quantity integer NOT NULL DEFAULT 0,
    PRIMARY KEY (warehouse_id, sku),
    UNIQUE (warehouse_id, bin_code),
    CONSTRAINT uq_stock_levels_sku_bin UNIQUE (sku, bin_code)
);

INSERT INTO warehouses VALUES (1, 'BER-1', 'Berlin North');
INSERT INTO stock_levels VALUES (1, 'SKU-0001', 'A-01-03', 12), (1, 'SKU-0002', 'A-01-04', 0);
