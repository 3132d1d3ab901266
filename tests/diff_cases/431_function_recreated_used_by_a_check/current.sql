CREATE FUNCTION is_code(c text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$SELECT c LIKE 'c-%'$$;
CREATE TABLE items (id bigint PRIMARY KEY, code text NOT NULL, CONSTRAINT items_code_check CHECK (is_code(code)));
INSERT INTO items VALUES (1, 'c-1'), (2, 'c-2');
