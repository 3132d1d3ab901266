CREATE TABLE items (id integer PRIMARY KEY, name text NOT NULL);
CREATE FUNCTION items_view_insert() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN INSERT INTO public.items VALUES (NEW.id, NEW.name); RETURN NEW; END$$;
CREATE VIEW items_view AS SELECT id, name FROM items;
CREATE TRIGGER items_view_insert INSTEAD OF INSERT ON items_view FOR EACH ROW EXECUTE FUNCTION items_view_insert();
COMMENT ON TRIGGER items_view_insert ON items_view IS 'writes through';
INSERT INTO items_view VALUES (1, 'a');
