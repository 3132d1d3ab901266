CREATE TYPE st AS ENUM ('a', 'b', 'c');
CREATE TABLE t (id integer PRIMARY KEY, s st NOT NULL, CONSTRAINT t_s_check CHECK (s <> 'b'));
CREATE INDEX t_s_idx ON t (s) WHERE s = 'a';
CREATE INDEX t_s_c_idx ON t ((s = 'c'));
INSERT INTO t VALUES (1, 'a'), (2, 'c');
