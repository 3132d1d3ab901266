CREATE TABLE shops (
    id serial PRIMARY KEY,
    postcode varchar(50)
);
INSERT INTO shops (postcode) VALUES ('10115'), ('60311');
