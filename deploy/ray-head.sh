#!/bin/sh
# The Ray head, on one host: the cluster's GCS on port 6379, and this host's CPUs for training.
# Settings from the environment (/etc/three-ways.env): NODE_IP, VENV, RAY_CPUS (unset: all cores).
# In the foreground (--block), so systemd (or a test) stops it, and everything Ray started here,
# by stopping this one process.
set -eu
: "${NODE_IP:?set NODE_IP to this host address on the private network}"
exec "${VENV:-/opt/three-ways/venv}/bin/ray" start --head --block \
    --node-ip-address="$NODE_IP" --port=6379 --num-cpus="${RAY_CPUS:-$(nproc)}" \
    --include-dashboard=false --disable-usage-stats
