CREATE TABLE readings (
    id bigint PRIMARY KEY,
    station_id integer NOT NULL,
    flags smallint NOT NULL DEFAULT 0,
    value double precision NOT NULL,
    ratio real,
    amount numeric(8,3),
    ok boolean NOT NULL DEFAULT TRUE,
    label varchar(40),
    taken_at timestamp with time zone NOT NULL,
    local_time timestamp
);
INSERT INTO readings VALUES (1, 3, 0, 0.5, 0.25, 12.125, true, 'north', '2024-01-01 00:00+00', '2024-01-01 01:00');
