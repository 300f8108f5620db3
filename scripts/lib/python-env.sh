# ensure_python_env: the Python service's environment, as scripts/test-python and
# scripts/bench-service need it: uv at the version the Dockerfile pins (installed into
# .tools/uv-<version> when missing), Debian's PostgreSQL server (installed when missing; the
# tests and the benchmark start clusters of their own), uv.lock checked, .venv synced.
# Sets uv (the binary) and exports UV_PYTHON_DOWNLOADS and UV_PROJECT_ENVIRONMENT.
# Expects repo_root, set before it is sourced.
: "${repo_root:?is not set: the entry script sets it before sourcing scripts/lib/python-env.sh}"

ensure_python_env() {
    local uv_version tools_dir
    # The Dockerfile's ARG is the single source of the uv version.
    uv_version="$(sed -n 's/^ARG UV_VERSION=\([0-9][0-9.]*\)[[:space:]]*$/\1/p' "$repo_root/Dockerfile")"
    if [[ -z "$uv_version" ]]; then
        echo "python-env: no 'ARG UV_VERSION=<version>' line in Dockerfile" >&2
        return 1
    fi

    tools_dir="$repo_root/.tools/uv-$uv_version"
    uv="$tools_dir/bin/uv"
    if [[ ! -x "$uv" ]]; then
        # Install beside the final path and rename, so an interrupted install is not reused.
        staging="$tools_dir.partial.$$"
        trap 'rm -rf "$staging"' EXIT
        python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location \
            --root-user-action=ignore --target "$staging" "uv==$uv_version"
        rm -rf "$tools_dir"
        mv "$staging" "$tools_dir"
    fi

    # The PostgreSQL store's tests use Debian's server (tests/service/pg.py starts a cluster of
    # its own on a free loopback port, in a temporary folder, and removes it).
    if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
        if [[ "$(id -u)" != 0 ]]; then
            echo "python-env: the PostgreSQL tests need Debian's PostgreSQL server: apt-get install postgresql" >&2
            return 1
        fi
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    fi

    export UV_PYTHON_DOWNLOADS=never
    export UV_PROJECT_ENVIRONMENT="$repo_root/.venv"
    (cd "$repo_root" && "$uv" lock --check && "$uv" sync --frozen)
}
