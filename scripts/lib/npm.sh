# ensure_npm_packages: `npm ci` when package-lock.json changed since the last install.
# Expects repo_root, set before it is sourced.
: "${repo_root:?is not set: the entry script sets it before sourcing scripts/lib/npm.sh}"
ensure_npm_packages() {
    local lock_hash stamp="$repo_root/node_modules/.ragstar-lock-sha256"
    lock_hash="$(sha256sum "$repo_root/package-lock.json" | cut -d' ' -f1)"
    if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$lock_hash" ]]; then
        log "npm ci"
        (cd "$repo_root" && npm ci --no-audit --no-fund --loglevel=error >&2)
        echo "$lock_hash" >"$stamp"
    fi
}
