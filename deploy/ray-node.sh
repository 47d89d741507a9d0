#!/bin/sh
# A Ray node that joins the head: on a training worker (RAY_CPUS unset: all its cores) and on every
# app server (RAY_CPUS=0). Ray 2.60 runs a driver, here the app server, only on a host with a Ray
# node of its own: with RAY_ADDRESS=HEAD:6379 and no local node, ray.init waits 60 s for one, then
# fails. A node with 0 CPUs is that link and takes no training run.
# Settings from the environment (/etc/three-ways.env): NODE_IP, RAY_HEAD, VENV, RAY_CPUS.
# The ports are fixed, as on the head (see ray-head.sh).
set -eu
: "${NODE_IP:?set NODE_IP to this host address on the private network}"
: "${RAY_HEAD:?set RAY_HEAD to the head address, host:6379}"
exec "${VENV:-/opt/three-ways/venv}/bin/ray" start --block \
    --address="$RAY_HEAD" --node-ip-address="$NODE_IP" --num-cpus="${RAY_CPUS:-$(nproc)}" \
    --node-manager-port=6380 --object-manager-port=6381 --runtime-env-agent-port=6382 \
    --dashboard-agent-grpc-port=6383 --dashboard-agent-listen-port=6384 --metrics-export-port=6385 \
    --min-worker-port=10002 --max-worker-port=19999 --disable-usage-stats
