CREATE TABLE tags (
    id integer PRIMARY KEY,
    label text DEFAULT concat_ws(',', VARIADIC ARRAY['a', 'b'])
);
