CREATE TABLE users (
    id serial PRIMARY KEY,
    tenant_id int NOT NULL,
    email varchar(255) NOT NULL,
    username varchar(40) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz,
    deleted_at timestamptz
);
CREATE INDEX ON users (created_at);
CREATE UNIQUE INDEX ON users (username);
CREATE INDEX ON users (tenant_id, created_at);
CREATE INDEX ON users (last_login_at DESC);
CREATE INDEX ix_users_deleted_at ON users (deleted_at NULLS FIRST);
CREATE UNIQUE INDEX ux_users_active_email ON users (email) WHERE deleted_at IS NULL;
CREATE INDEX ix_users_lower_email ON users (lower(email));

INSERT INTO users (tenant_id, email, username) VALUES (1, 'Ana@Example.com', 'ana');
