CREATE FUNCTION add(a integer, b integer DEFAULT 1) RETURNS integer LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS 'SELECT a + b';
COMMENT ON FUNCTION add(integer, integer) IS 'adds';
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;
