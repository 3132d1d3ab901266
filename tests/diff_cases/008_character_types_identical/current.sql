CREATE TABLE countries (
    code char(2) PRIMARY KEY,
    iso3 character(3) NOT NULL UNIQUE,
    name varchar(100) NOT NULL,
    native_name varchar,
    description text,
    currency char(3) NOT NULL DEFAULT 'EUR',
    is_eu_member bool NOT NULL DEFAULT false
);
INSERT INTO countries (code, iso3, name, native_name, is_eu_member) VALUES ('DE', 'DEU', 'Germany', 'Deutschland', true);
