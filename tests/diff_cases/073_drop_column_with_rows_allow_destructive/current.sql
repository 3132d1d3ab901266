CREATE TABLE articles (
    id serial PRIMARY KEY,
    title varchar(200) NOT NULL,
    body text NOT NULL,
    legacy_markup text
);
INSERT INTO articles (title, body, legacy_markup) VALUES ('Hello', 'First post', '<b>First</b> post');
