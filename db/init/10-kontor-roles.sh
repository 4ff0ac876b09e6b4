#!/bin/sh
# Runs once, when the official postgres image initialises an empty volume: the roles of DESIGN §4.
#   kontor_owner  owns the database and every table (migrations only)
#   kontor_api    group with exactly the DML the API needs (granted by the migrations)
#   kontor_app    the API's login, member of kontor_api: no superuser, no BYPASSRLS, owns nothing
#   kontor_retention  deletes the old end of the audit and sign-in chains (the API role cannot)
# Passwords come from the environment (.env); psql quotes them with :'var', never the shell.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_pw="$KONTOR_OWNER_DB_PASSWORD" -v api_pw="$KONTOR_API_DB_PASSWORD" -v retention_pw="$KONTOR_RETENTION_DB_PASSWORD" <<'SQL'
CREATE ROLE kontor_owner LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'owner_pw';
CREATE ROLE kontor_api NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
CREATE ROLE kontor_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION IN ROLE kontor_api PASSWORD :'api_pw';
CREATE ROLE kontor_retention LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'retention_pw';
CREATE DATABASE kontor OWNER kontor_owner ENCODING 'UTF8' LOCALE 'C' TEMPLATE template0;
REVOKE ALL ON DATABASE kontor FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE kontor TO kontor_api;
GRANT CONNECT ON DATABASE kontor TO kontor_retention;
SQL
