CREATE FUNCTION scale(amount numeric, factor numeric DEFAULT 2) RETURNS numeric LANGUAGE sql IMMUTABLE AS 'SELECT amount * factor';
CREATE FUNCTION pair(INOUT a integer, OUT b text) LANGUAGE sql AS $$SELECT a, a::text$$;
CREATE FUNCTION total(VARIADIC xs integer[]) RETURNS bigint LANGUAGE sql AS 'SELECT sum(x) FROM unnest(xs) x';
