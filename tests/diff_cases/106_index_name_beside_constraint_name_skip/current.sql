CREATE TABLE t (
    code text,
    CONSTRAINT t_code_idx CHECK (code <> '')
);
CREATE INDEX ON t (code);
