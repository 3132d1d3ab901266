CREATE TABLE shops (
    id integer PRIMARY KEY,
    region text NOT NULL,
    code text NOT NULL,
    CONSTRAINT shops_region_code_key UNIQUE (region, code)
);
CREATE TABLE offers (
    id integer PRIMARY KEY,
    region text NOT NULL,
    code text NOT NULL,
    CONSTRAINT offers_shop_fkey FOREIGN KEY (region, code) REFERENCES shops (region, code)
);
INSERT INTO shops VALUES (1, 'eu', 'a');
INSERT INTO offers VALUES (1, 'eu', 'a');
