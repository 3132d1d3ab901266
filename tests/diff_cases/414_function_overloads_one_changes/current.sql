CREATE FUNCTION fmt(amount numeric) RETURNS text LANGUAGE sql IMMUTABLE AS $$SELECT to_char(amount, 'FM990D00')$$;
CREATE FUNCTION fmt(amount numeric, currency text) RETURNS text LANGUAGE sql IMMUTABLE AS $$SELECT fmt(amount) || ' ' || currency$$;
