CREATE TABLE bookings (
    id integer PRIMARY KEY,
    spot point NOT NULL,
    area box,
    during tstzrange,
    seats int4range[],
    grace interval second(0),
    span interval day to second(3),
    owner_oid oid,
    label name,
    flag "char",
    lsn pg_lsn,
    query tsquery
);
