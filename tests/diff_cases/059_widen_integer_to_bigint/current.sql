CREATE TABLE page_views (
    id serial PRIMARY KEY,
    view_count integer
);
INSERT INTO page_views (view_count) VALUES (10), (2147483647);
