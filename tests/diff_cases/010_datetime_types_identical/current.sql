CREATE TABLE shifts (
    id SERIAL PRIMARY KEY,
    work_date date NOT NULL,
    starts_at time NOT NULL,
    duration interval NOT NULL DEFAULT '8 hours',
    clocked_in_at timestamp(3),
    approved_at timestamp with time zone,
    created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO shifts (work_date, starts_at, clocked_in_at) VALUES ('2024-05-02', '07:30', '2024-05-02 07:28:13.123');
