CREATE SEQUENCE a_extra;
CREATE TABLE orders (id serial PRIMARY KEY);
CREATE SEQUENCE z_extra;
ALTER SEQUENCE a_extra OWNED BY orders.id;
ALTER SEQUENCE z_extra OWNED BY orders.id;
