CREATE TABLE subscriptions (
    id serial PRIMARY KEY,
    customer_email varchar(255) NOT NULL,
    plan varchar(20) NOT NULL,
    renews_on date
);
INSERT INTO subscriptions (customer_email, plan, renews_on) VALUES ('ops@example.com', 'team', '2025-01-01');

COMMENT ON TABLE subscriptions IS 'Customer subscriptions';
COMMENT ON COLUMN subscriptions.customer_email IS 'Billing contact';
COMMENT ON COLUMN subscriptions.renews_on IS 'Next renewal date';
