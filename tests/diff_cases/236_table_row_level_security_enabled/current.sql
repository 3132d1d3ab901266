CREATE TABLE documents (id bigint PRIMARY KEY, tenant_id bigint NOT NULL);
