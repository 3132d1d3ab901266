CREATE TABLE orders (id bigint PRIMARY KEY, total integer NOT NULL);
CREATE FUNCTION order_total() RETURNS bigint LANGUAGE sql STABLE
BEGIN ATOMIC
  SELECT sum(total) FROM orders;
END;
