CREATE TABLE users (
    id serial PRIMARY KEY,
    email varchar(255) NOT NULL UNIQUE
);
CREATE SCHEMA reports;
CREATE COLLATION reports.plain (locale = 'C');
CREATE SCHEMA scratch;
