CREATE FUNCTION norm(s text) RETURNS text LANGUAGE sql IMMUTABLE AS $$SELECT lower(s)$$;
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
CREATE INDEX ix_users_norm_email ON users (norm(email));
INSERT INTO users VALUES (1, 'A@x'), (2, 'b@x');
