CREATE TABLE job_runs (
    id BIGSERIAL PRIMARY KEY,
    run_number SERIAL,
    attempt SMALLSERIAL,
    job_name varchar(80) NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    exit_code smallint,
    log_excerpt text
);
INSERT INTO job_runs (job_name, finished_at, exit_code) VALUES ('nightly-backup', now(), 0);
