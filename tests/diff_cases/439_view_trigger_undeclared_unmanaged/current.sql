CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL);
CREATE FUNCTION nothing() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$;
CREATE VIEW items_view AS SELECT id, name FROM items;
CREATE TRIGGER items_view_old INSTEAD OF DELETE ON items_view FOR EACH ROW EXECUTE FUNCTION nothing();
