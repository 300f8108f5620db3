# ensure_base_image: the base image for the test build, exported as PYTHON_IMAGE (the
# Dockerfile's build argument) with BASE_IMAGE_KIND=official|stand-in.
#
# Production uses the Dockerfile's default (ARG PYTHON_IMAGE=python:3.12.8-slim). When that
# cannot be pulled (these machines reach no Docker Hub), a stand-in is built from Debian's
# packages: a minbase debootstrap of bookworm with python3, pip and venv, laid out like the
# official image (python3, python and pip in /usr/local/bin, no EXTERNALLY-MANAGED marker),
# with this machine's CA bundle so builds can reach PyPI through the machine's egress.
# The stand-in is cached by a key over everything that shapes it: in the engine as
# ragstar-test/python-standin:<key> and as .cache/base-image/<key>.tar for a fresh engine.
STANDIN_SUITE=bookworm
STANDIN_PACKAGES=python3,python3-pip,python3-venv,ca-certificates
STANDIN_MIRROR="${RAGSTAR_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

ensure_base_image() {
    local official
    official="$(sed -n 's/^ARG PYTHON_IMAGE=\(.*\)$/\1/p' "$repo_root/Dockerfile" | head -1)"
    [[ -n "$official" ]] || die "Dockerfile: no 'ARG PYTHON_IMAGE=<image>' line"
    if "$DOCKER" image inspect "$official" >/dev/null 2>&1 || timeout 120 "$DOCKER" pull -q "$official" >/dev/null 2>&1; then
        export PYTHON_IMAGE="$official" BASE_IMAGE_KIND=official
        log "base image: $official (the production base)"
        return
    fi
    local key tag tarball
    key="$( (cat "${BASH_SOURCE[0]}"; echo "$STANDIN_SUITE $STANDIN_PACKAGES $STANDIN_MIRROR"; cat /etc/ssl/certs/ca-certificates.crt) | sha256sum | cut -c1-12)"
    tag="ragstar-test/python-standin:$key"
    tarball="$cache_dir/base-image/$key.tar"
    export PYTHON_IMAGE="$tag" BASE_IMAGE_KIND=stand-in
    if "$DOCKER" image inspect "$tag" >/dev/null 2>&1; then
        log "base image: $tag (stand-in for $official, which cannot be pulled here; cached in the engine)"
        return
    fi
    if [[ -f "$tarball" ]]; then
        "$DOCKER" load -q -i "$tarball" >/dev/null || die "could not load $tarball"
        log "base image: $tag (stand-in for $official, which cannot be pulled here; loaded from $tarball)"
        return
    fi
    build_standin "$tag" "$tarball"
    log "base image: $tag (stand-in for $official, which cannot be pulled here; built now)"
}

build_standin() {
    local tag="$1" tarball="$2" rootfs
    command -v debootstrap >/dev/null || apt_install debootstrap
    rootfs="$(mktemp -d "$cache_dir/standin-rootfs.XXXXXX")"
    log "building the stand-in base image with debootstrap ($STANDIN_SUITE, $STANDIN_PACKAGES)"
    local started=$SECONDS
    debootstrap --variant=minbase --include="$STANDIN_PACKAGES" "$STANDIN_SUITE" "$rootfs" "$STANDIN_MIRROR" >"$cache_dir/debootstrap.log" 2>&1 \
        || { tail -20 "$cache_dir/debootstrap.log" >&2; rm -rf "$rootfs"; die "debootstrap failed"; }
    # The official image's layout: its Python is /usr/local/bin/python3 and pip may install.
    rm -f "$rootfs"/usr/lib/python3*/EXTERNALLY-MANAGED
    ln -sf /usr/bin/python3 "$rootfs/usr/local/bin/python3"
    ln -sf /usr/bin/python3 "$rootfs/usr/local/bin/python"
    ln -sf /usr/bin/pip3 "$rootfs/usr/local/bin/pip"
    ln -sf /usr/bin/pip3 "$rootfs/usr/local/bin/pip3"
    cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
    # What the slim image leaves out too: package lists, caches, docs, man pages, locales.
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* \
        "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* "$rootfs"/var/log/* "$rootfs"/tmp/*
    tar -C "$rootfs" -c . | "$DOCKER" import \
        --change 'ENV LANG=C.UTF-8 SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
        --change 'CMD ["python3"]' - "$tag" >/dev/null || die "docker import of the stand-in failed"
    rm -rf "$rootfs"
    mkdir -p "$(dirname "$tarball")"
    "$DOCKER" save -o "$tarball.partial" "$tag" && mv "$tarball.partial" "$tarball"
    log "stand-in built in $((SECONDS - started)) s, $("$DOCKER" image inspect --format '{{.Size}}' "$tag") bytes"
}
