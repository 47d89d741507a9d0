#!/bin/sh
# An app server: `streamlit run app.py` on NODE_IP:APP_PORT, behind nginx (deploy/nginx-three-ways.conf).
# Its training runs go to the Ray cluster through this host's own Ray node (ray-node.sh with
# RAY_CPUS=0, started first), its runs to the shared PostgreSQL database.
# Settings from the environment (/etc/three-ways.env): NODE_IP, RAY_HEAD, DATABASE_URL, VENV, APP_PORT.
set -eu
: "${NODE_IP:?set NODE_IP to this host address on the private network}"
: "${RAY_HEAD:?set RAY_HEAD to the head address, host:6379}"
: "${DATABASE_URL:?set DATABASE_URL to postgresql+psycopg://app:PASSWORD@DB_HOST/training}"
cd "$(dirname "$0")/.."
export RAY_ADDRESS="$RAY_HEAD" DATABASE_URL
exec "${VENV:-/opt/three-ways/venv}/bin/streamlit" run app.py \
    --server.address="$NODE_IP" --server.port="${APP_PORT:-8501}"
