CREATE TABLE notes (
    id integer PRIMARY KEY,
    label text NOT NULL,
    CONSTRAINT notes_label_check CHECK (label NOT IN ('{probe}', '{check}', '{index}'))
);
CREATE INDEX notes_label_idx ON notes ((label || '{index}')) WHERE label <> '{probe}';
