# ensure_registry: a real OCI registry (Debian's docker-registry, distribution 2.8) on
# loopback with htpasswd authentication. Exports REGISTRY (host:port), REGISTRY_USERNAME
# and REGISTRY_PASSWORD. The password is random per machine and kept in
# .cache/registry/password (mode 0600); a registry the user names instead is taken from
# RAGSTAR_TEST_REGISTRY, RAGSTAR_TEST_REGISTRY_USERNAME and RAGSTAR_TEST_REGISTRY_PASSWORD.
# Expects cache_dir (from ensure_cache_dir in scripts/lib/log.sh), set before it is sourced.
: "${cache_dir:?is not set: the entry script sets it (ensure_cache_dir) before sourcing scripts/lib/registry.sh}"
ensure_registry() {
    if [[ -n "${RAGSTAR_TEST_REGISTRY:-}" ]]; then
        export REGISTRY="$RAGSTAR_TEST_REGISTRY" REGISTRY_USERNAME="${RAGSTAR_TEST_REGISTRY_USERNAME:?}" REGISTRY_PASSWORD="${RAGSTAR_TEST_REGISTRY_PASSWORD:?}"
        log "registry: $REGISTRY (named by RAGSTAR_TEST_REGISTRY)"
        return
    fi
    local dir="$cache_dir/registry" first="${RAGSTAR_TEST_REGISTRY_PORT:-5000}" port status
    export REGISTRY_USERNAME="ragstar-ci"
    mkdir -p "$dir/data"
    if [[ ! -s "$dir/password" ]]; then
        (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$dir/password")
    fi
    REGISTRY_PASSWORD="$(cat "$dir/password")"
    export REGISTRY_PASSWORD
    # Reuse this clone's registry if it runs; skip ports where another one answers (another clone's).
    for ((port = first; port < first + 20; port++)); do
        export REGISTRY="127.0.0.1:$port"
        status="$(curl -s -o /dev/null -w '%{http_code}' "http://$REGISTRY/v2/" || true)"
        if [[ "$status" == 401 ]] && curl -sf -u "$REGISTRY_USERNAME:$REGISTRY_PASSWORD" "http://$REGISTRY/v2/" >/dev/null; then
            log "registry: $REGISTRY (already running, authentication on)"
            return
        fi
        [[ "$status" == 000 ]] && break
        log "port $port is taken by another server (HTTP $status); trying the next"
    done
    [[ "$status" == 000 ]] || die "no free port in $first..$((first + 19)) for the test registry; set RAGSTAR_TEST_REGISTRY_PORT"
    command -v docker-registry >/dev/null || apt_install docker-registry
    command -v htpasswd >/dev/null || apt_install apache2-utils
    htpasswd -Bbc "$dir/htpasswd" "$REGISTRY_USERNAME" "$REGISTRY_PASSWORD" 2>/dev/null
    cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: $REGISTRY
auth:
  htpasswd:
    realm: ragstar-test
    path: $dir/htpasswd
YAML
    log "starting docker-registry on $REGISTRY (log: $dir/registry.log)"
    nohup docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
    echo $! >"$dir/registry.pid"
    wait_until 30 "registry" curl -sf -u "$REGISTRY_USERNAME:$REGISTRY_PASSWORD" "http://$REGISTRY/v2/" \
        || { tail -20 "$dir/registry.log" >&2; die "docker-registry did not answer on $REGISTRY"; }
}

# registry_pid: the pid of the registry ensure_registry started for this clone, while it still
# runs (the pid file's process serves this clone's config); nothing otherwise.
registry_pid() {
    local file="$cache_dir/registry/registry.pid" pid
    [[ -s "$file" ]] || return 0
    pid="$(cat "$file")"
    if [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" == "docker-registry serve $cache_dir/registry/config.yml "* ]]; then
        echo "$pid"
    fi
}

# stop_registry: stop that registry (its data stays in .cache/registry/data for the next start).
stop_registry() {
    local pid
    pid="$(registry_pid)"
    if [[ -n "$pid" ]]; then
        kill "$pid"
        log "stopped docker-registry (pid $pid)"
    fi
    rm -f "$cache_dir/registry/registry.pid"
}
