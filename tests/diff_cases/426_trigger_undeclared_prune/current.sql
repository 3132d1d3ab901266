CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;
CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION touch();
COMMENT ON TRIGGER accounts_touch ON accounts IS 'keeps updated_at current';
