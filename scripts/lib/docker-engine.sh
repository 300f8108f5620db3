# ensure_docker_engine: make a Docker engine with BuildKit answer on the default socket.
# Uses a running engine when there is one; otherwise, as root, installs Debian's docker.io
# and starts dockerd in the background (log: .cache/dockerd.log). Exports DOCKER (the
# engine's own client, /usr/bin/docker: the client on PATH may want buildx) and
# DOCKER_BUILDKIT=1.
# Expects cache_dir (from ensure_cache_dir in scripts/lib/log.sh), set before it is sourced.
: "${cache_dir:?is not set: the entry script sets it (ensure_cache_dir) before sourcing scripts/lib/docker-engine.sh}"
ensure_docker_engine() {
    export DOCKER_BUILDKIT=1
    if [[ -x /usr/bin/docker ]]; then DOCKER=/usr/bin/docker; else DOCKER="$(command -v docker || true)"; fi
    export DOCKER
    if [[ -n "$DOCKER" ]] && "$DOCKER" info >/dev/null 2>&1; then
        log "Docker engine: running ($("$DOCKER" version --format '{{.Server.Version}}'))"
        return
    fi
    [[ "$(id -u)" == 0 ]] || die "no Docker engine answers and this is not root, so none can be started; start dockerd or set DOCKER_HOST"
    [[ -x /usr/sbin/dockerd ]] || apt_install docker.io
    DOCKER=/usr/bin/docker
    log "starting dockerd (log: $cache_dir/dockerd.log)"
    nohup /usr/sbin/dockerd --host unix:///var/run/docker.sock >"$cache_dir/dockerd.log" 2>&1 &
    echo $! >"$cache_dir/dockerd.pid"
    wait_until 60 "Docker engine" "$DOCKER" info || { tail -20 "$cache_dir/dockerd.log" >&2; die "dockerd did not answer within 60 s"; }
}
