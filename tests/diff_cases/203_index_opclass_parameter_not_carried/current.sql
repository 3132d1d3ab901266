CREATE TABLE docs (id integer PRIMARY KEY, body tsvector);
CREATE INDEX docs_body_idx ON docs USING gist (body tsvector_ops (siglen = 100));
