-- Run once as the postgres superuser: psql -f deploy/postgresql/setup.sql
-- The bot creates and upgrades its own tables on start (Alembic), so it owns its database.
CREATE ROLE opss_bot LOGIN;
CREATE DATABASE opss_bot OWNER opss_bot ENCODING 'UTF8' TEMPLATE template0;
-- Local connections by peer authentication (pg_hba.conf):
--   local   opss_bot   opss_bot   peer
