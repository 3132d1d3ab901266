CREATE TABLE subscriptions (
    id serial PRIMARY KEY,
    customer_email varchar(255) NOT NULL,
    plan varchar(20) NOT NULL,
    renews_on date
);
INSERT INTO subscriptions (customer_email, plan, renews_on) VALUES ('ops@example.com', 'team', '2025-01-01');
