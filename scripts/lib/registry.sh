# ensure_registry: a real OCI registry (Debian's docker-registry, distribution 2.8) on
# loopback with htpasswd authentication. Exports REGISTRY (host:port), REGISTRY_USERNAME
# and REGISTRY_PASSWORD (the user is ragstar-ci). The password is random per machine and kept in
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
    start_registry registry "${RAGSTAR_TEST_REGISTRY_PORT:-5000}" ragstar-ci
    export REGISTRY="$started_registry" REGISTRY_USERNAME="$started_registry_username" REGISTRY_PASSWORD="$started_registry_password"
}

# ensure_release_registry: a second registry like the first, the one the main job promotes to
# (docs/supply-chain.md, "Cross-registry promotion"): its own folder (.cache/registry-release),
# user, random password and ports (from 5100). Exports RELEASE_REGISTRY,
# RELEASE_REGISTRY_USERNAME and RELEASE_REGISTRY_PASSWORD.
ensure_release_registry() {
    start_registry registry-release "${RAGSTAR_RELEASE_REGISTRY_PORT:-5100}" ragstar-release
    export RELEASE_REGISTRY="$started_registry" RELEASE_REGISTRY_USERNAME="$started_registry_username" RELEASE_REGISTRY_PASSWORD="$started_registry_password"
}

# start_registry NAME FIRST_PORT USERNAME: start Debian's docker-registry with htpasswd
# authentication from $cache_dir/NAME (data, config, password, pid, log), on the first free port
# from FIRST_PORT, or find it running; sets started_registry (host:port),
# started_registry_username and started_registry_password.
start_registry() {
    local name="$1" first="$2" dir="$cache_dir/$1" port status
    started_registry_username="$3"
    mkdir -p "$dir/data"
    if [[ ! -s "$dir/password" ]]; then
        (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$dir/password")
    fi
    started_registry_password="$(cat "$dir/password")"
    # Reuse this clone's registry if it runs; skip ports where another one answers (another clone's).
    for ((port = first; port < first + 20; port++)); do
        started_registry="127.0.0.1:$port"
        status="$(curl -s -o /dev/null -w '%{http_code}' "http://$started_registry/v2/" || true)"
        if [[ "$status" == 401 ]] && curl -sf -u "$started_registry_username:$started_registry_password" "http://$started_registry/v2/" >/dev/null; then
            log "$name: $started_registry (already running, authentication on)"
            return
        fi
        [[ "$status" == 000 ]] && break
        log "port $port is taken by another server (HTTP $status); trying the next"
    done
    [[ "$status" == 000 ]] || die "no free port in $first..$((first + 19)) for the $name; set RAGSTAR_TEST_REGISTRY_PORT or RAGSTAR_RELEASE_REGISTRY_PORT"
    command -v docker-registry >/dev/null || apt_install docker-registry
    command -v htpasswd >/dev/null || apt_install apache2-utils
    htpasswd -Bbc "$dir/htpasswd" "$started_registry_username" "$started_registry_password" 2>/dev/null
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
  addr: $started_registry
auth:
  htpasswd:
    realm: ragstar-$name
    path: $dir/htpasswd
YAML
    log "starting docker-registry ($name) on $started_registry (log: $dir/registry.log)"
    nohup docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
    echo $! >"$dir/registry.pid"
    wait_until 30 "$name" curl -sf -u "$started_registry_username:$started_registry_password" "http://$started_registry/v2/" \
        || { tail -20 "$dir/registry.log" >&2; die "docker-registry ($name) did not answer on $started_registry"; }
}

# registry_pid [NAME]: the pid of the registry start_registry started for this clone from
# $cache_dir/NAME (default: registry), while it still runs (the pid file's process serves that
# config); nothing otherwise.
registry_pid() {
    local name="${1:-registry}" file pid
    file="$cache_dir/$name/registry.pid"
    [[ -s "$file" ]] || return 0
    pid="$(cat "$file")"
    if [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" == "docker-registry serve $cache_dir/$name/config.yml "* ]]; then
        echo "$pid"
    fi
}

# stop_registry [NAME]: stop that registry (its data stays in $cache_dir/NAME/data for the next start).
stop_registry() {
    local name="${1:-registry}" pid
    pid="$(registry_pid "$name")"
    if [[ -n "$pid" ]]; then
        kill "$pid"
        log "stopped docker-registry $name (pid $pid)"
    fi
    rm -f "$cache_dir/$name/registry.pid"
}
