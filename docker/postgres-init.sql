-- The application's role is an ordinary one: superusers and BYPASSRLS roles skip row-level security.
CREATE ROLE helpdesk LOGIN PASSWORD 'helpdesk' NOSUPERUSER NOBYPASSRLS CREATEDB;
CREATE DATABASE helpdesk OWNER helpdesk;
