CREATE TABLE words (id integer PRIMARY KEY, word text NOT NULL, tags varchar(20)[] COLLATE "C");
CREATE INDEX words_word_idx ON words (word);
INSERT INTO words VALUES (1, 'b', '{x}'), (2, 'B', NULL);
