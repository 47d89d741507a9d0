#!/bin/sh
# Once, on the database host, as PostgreSQL's superuser after installing it (Debian: apt-get install
# postgresql), from a folder it can read:
#   sudo -u postgres env NODE_IP=10.0.0.3 APP_SUBNET=10.0.0.0/24 DB_PASSWORD=... sh postgres-setup.sh
# then restart PostgreSQL (Debian: systemctl restart postgresql) so it listens on NODE_IP.
# Makes the user `app` and its database `training` (the app makes its tables), listens on NODE_IP
# besides localhost, and lets APP_SUBNET in with the password: the app servers (they write every run,
# Ray workers' included) must all be inside it.
set -eu
: "${NODE_IP:?set NODE_IP to this host address on the private network}"
: "${APP_SUBNET:?set APP_SUBNET to the private network, e.g. 10.0.0.0/24}"
: "${DB_PASSWORD:?set DB_PASSWORD to the password of the database user app}"
psql -v ON_ERROR_STOP=1 -v password="$DB_PASSWORD" -v listen="localhost,$NODE_IP" <<'SQL'
CREATE ROLE app LOGIN PASSWORD :'password';
CREATE DATABASE training OWNER app;
ALTER SYSTEM SET listen_addresses = :'listen';
SQL
echo "host training app $APP_SUBNET scram-sha-256" >> "$(psql -tAc 'SHOW hba_file')"
echo "Done: restart PostgreSQL so that it listens on $NODE_IP."
