CREATE TABLE subscriptions (
    id serial PRIMARY KEY,
    plan varchar(20) NOT NULL
);

CREATE TABLE subscription_billing_period_adjustment_history_entries_archive (
    id serial PRIMARY KEY,
    subscription_id integer NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    adjustment_code varchar(20) NOT NULL UNIQUE,
    amount_cents integer NOT NULL CHECK (amount_cents <> 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (subscription_id, created_at)
);
CREATE INDEX ON subscription_billing_period_adjustment_history_entries_archive (created_at);
CREATE INDEX ON subscription_billing_period_adjustment_history_entries_archive (subscription_id, amount_cents);
