CREATE TYPE token_scope AS ENUM ('read', 'write', 'admin');

CREATE TABLE api_tokens (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    label varchar(100) NOT NULL DEFAULT 'unnamed token',
    scope token_scope NOT NULL DEFAULT 'read',
    uses int NOT NULL DEFAULT 0,
    max_uses int NOT NULL DEFAULT -1,
    rate_limit numeric(6,2) NOT NULL DEFAULT 10.5,
    revoked boolean NOT NULL DEFAULT false,
    created_at timestamp NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at timestamptz NOT NULL DEFAULT now() + interval '1 day',
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb
);
INSERT INTO api_tokens (label) VALUES ('ci deploy key');
