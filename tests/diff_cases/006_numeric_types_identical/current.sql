CREATE TABLE measurements (
    id bigint PRIMARY KEY,
    sensor_id int NOT NULL,
    channel smallint NOT NULL,
    amount decimal(10,2),
    raw_value numeric,
    temperature real,
    pressure float8
);
INSERT INTO measurements VALUES (1, 7, 2, 12.50, 3.14159265358979, 21.5, 1013.25);
