# Shared helpers for the infrastructure scripts. Defines functions only: sourcing it has no
# other effect. Everything they print goes to stderr, so a command's stdout (JSON from the
# benchmark, YAML from render) stays clean.

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# clone_id: six hex digits from this checkout's path; clone_index: its first two as 0..255. Each
# checkout's node names and networks (scripts/lib/node.sh) and its Service range
# (scripts/lib/control-plane.sh) come from them, so two checkouts on one host do not collide.
clone_id() { printf '%s' "${repo_root:?}" | sha256sum | cut -c1-6; }
clone_index() { local id; id="$(clone_id)"; echo $((16#${id:0:2})); }

# ensure_cache_dir: create this clone's git-ignored .cache/ when missing (the Docker engine's log,
# the registry, the stand-in base image, the control plane) and print its absolute path.
# Expects repo_root (set by the entry script). Usage: cache_dir="$(ensure_cache_dir)".
ensure_cache_dir() {
    : "${repo_root:?is not set: the entry script sets it before calling ensure_cache_dir}"
    mkdir -p "$repo_root/.cache" && echo "$repo_root/.cache"
}

# apt_install PACKAGE...: install Debian packages (root only), updating the lists once per run.
apt_install() {
    [[ "$(id -u)" == 0 ]] || die "need root to install Debian packages: $*; install them or run as root"
    if [[ -z "${_apt_updated:-}" ]]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || die "apt-get update failed"
        _apt_updated=1
    fi
    log "installing Debian packages: $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2 || die "apt-get install $* failed"
}

# wait_until SECONDS DESCRIPTION COMMAND...: poll COMMAND every 0.5 s until it succeeds.
wait_until() {
    local seconds="$1" what="$2"
    shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || return 1
        sleep 0.5
    done
    log "$what is ready"
}

# go_module_file FIELD MODULE@VERSION: download a module version through the Go module proxy and
# print one field of `go mod download -json` (GoMod: its go.mod file; Dir: its extracted folder).
# Fails naming the module when the proxy refuses it.
go_module_file() {
    local field="$1" module="$2" json
    json="$(go mod download -json "$module")" || { printf '%s\n' "$json" >&2; return 1; }
    node -e 'const j=JSON.parse(process.argv[1]);if(j.Error||!j[process.argv[2]]){console.error(j.Error||"no "+process.argv[2]);process.exit(1)}console.log(j[process.argv[2]])' "$json" "$field"
}
