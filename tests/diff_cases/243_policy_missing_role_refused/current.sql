CREATE TABLE documents (id bigint PRIMARY KEY, tenant_id bigint NOT NULL);
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
