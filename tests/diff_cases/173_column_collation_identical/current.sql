CREATE TABLE words (id integer PRIMARY KEY, word text COLLATE "C" NOT NULL, tags varchar(20)[] COLLATE "POSIX");
CREATE INDEX words_word_idx ON words (word);
