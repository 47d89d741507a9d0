#!/bin/sh
# The Ray head, on one host: the cluster's GCS on port 6379, and this host's CPUs for training.
# Settings from the environment (/etc/three-ways.env): NODE_IP, VENV, RAY_CPUS (unset: all cores).
# In the foreground (--block), so systemd (or a test) stops it, and everything Ray started here,
# by stopping this one process. Every port is fixed (6379-6385, the client server's 10001, workers
# 10002-19999), as in ray-node.sh: the cluster's hosts must reach each other on them, and nothing
# else should (a token, RAY_AUTH_MODE/RAY_AUTH_TOKEN in three-ways.env, guards the cluster itself). Fixed agent ports also spare the raylet its wait for the
# agents to report random ones, which a busy host can miss (raylet: "Timed out waiting for file").
set -eu
: "${NODE_IP:?set NODE_IP to this host address on the private network}"
exec "${VENV:-/opt/three-ways/venv}/bin/ray" start --head --block \
    --node-ip-address="$NODE_IP" --port=6379 --num-cpus="${RAY_CPUS:-$(nproc)}" \
    --node-manager-port=6380 --object-manager-port=6381 --runtime-env-agent-port=6382 \
    --dashboard-agent-grpc-port=6383 --dashboard-agent-listen-port=6384 --metrics-export-port=6385 \
    --ray-client-server-port=10001 --min-worker-port=10002 --max-worker-port=19999 \
    --include-dashboard=false --disable-usage-stats
