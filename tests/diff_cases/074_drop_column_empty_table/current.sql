CREATE TABLE articles (
    id serial PRIMARY KEY,
    title varchar(200) NOT NULL,
    body text NOT NULL,
    legacy_markup text
);
