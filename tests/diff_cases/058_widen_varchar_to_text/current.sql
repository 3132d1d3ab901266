CREATE TABLE shops (
    id serial PRIMARY KEY,
    city varchar(20)
);
INSERT INTO shops (city) VALUES ('Berlin'), ('Frankfurt am Main');
