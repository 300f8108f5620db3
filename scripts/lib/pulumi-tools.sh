# ensure_pulumi_tools: the Pulumi CLI and the Kubernetes resource provider at the versions the
# npm SDKs in node_modules were written against (@pulumi/pulumi, @pulumi/kubernetes).
# Uses a `pulumi` on PATH whose version is the SDK's; otherwise builds both from their Go
# modules into git-ignored folders keyed by version, and reuses them:
#   .tools/pulumi-v<version>/bin/pulumi
#   .tools/pulumi-home/plugins/resource-kubernetes-v<version>/pulumi-resource-kubernetes
# The provider is built in one Go module with the control plane, which shares most of its
# packages (build_kube_family in scripts/lib/kube-tools.sh, sourced here).
# Also installs the policy pack's npm packages and the launcher the CLI uses to run it.
# Exports PULUMI_ROOT (the folder holding bin/pulumi), PULUMI_HOME and PATH.
#
# The Go module proxy serves github.com/pulumi/pulumi/pkg/v3 at release tags (the provider's
# pseudo-version mapping is kube-tools.sh's concern).
# Expects repo_root and the pins of scripts/lib/versions.sh, set before it is sourced.
: "${GO_LDFLAGS_STRIP:?is not set: source scripts/lib/versions.sh first}"
: "${GO_GCFLAGS_NODWARF:?is not set: source scripts/lib/versions.sh first}"
: "${repo_root:?is not set: the entry script sets it before sourcing scripts/lib/pulumi-tools.sh}"
source "$repo_root/scripts/lib/kube-tools.sh"
source "$repo_root/scripts/lib/netpol.sh"

npm_package_version() {
    node -p "require('$repo_root/node_modules/$1/package.json').version"
}

build_pulumi_cli() {
    local version="$1" root="$2" build="$repo_root/.tools/build/pulumi-cli-v$1" t0=$SECONDS
    log "building the Pulumi CLI v$version from github.com/pulumi/pulumi/pkg/v3 (several minutes on a cold machine)"
    rm -rf "$build" && mkdir -p "$build"
    # pkg/go.mod carries replace directives, so `go install pkg@version` refuses it: build it from
    # a throwaway module that requires pkg and sdk at one version and repeats the replaces it needs.
    local pkg_mod
    pkg_mod="$(go_module_file GoMod "github.com/pulumi/pulumi/pkg/v3@v$version")" || die "go mod download github.com/pulumi/pulumi/pkg/v3@v$version failed"
    cat >"$build/go.mod" <<GOMOD
module ragstar.local/pulumi-cli-build

go $(sed -n 's/^go //p' "$pkg_mod")

require (
	github.com/pulumi/pulumi/pkg/v3 v$version
	github.com/pulumi/pulumi/sdk/v3 v$version
)
GOMOD
    # Every replace of pkg/go.mod except the one pointing at its sibling sdk/ folder.
    grep '^replace ' "$pkg_mod" | grep -v '=> \.\./' >>"$build/go.mod" || true
    printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"\n' >"$build/tools.go"
    (cd "$build" && GOFLAGS=-mod=mod go mod tidy >&2 \
        && go build -gcflags "$GO_GCFLAGS_NODWARF" -ldflags "$GO_LDFLAGS_STRIP -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version" \
            -o "$root/bin/pulumi.partial" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2) || die "building the Pulumi CLI v$version failed"
    mv "$root/bin/pulumi.partial" "$root/bin/pulumi"
    log "built the Pulumi CLI v$version in $((SECONDS - t0)) s"
}

ensure_pulumi_tools() {
    local cli_version k8s_version
    cli_version="$(npm_package_version @pulumi/pulumi)"
    k8s_version="$(kubernetes_provider_version)"
    export PULUMI_HOME="$repo_root/.tools/pulumi-home" PULUMI_SKIP_UPDATE_CHECK=true
    local plugin_dir
    plugin_dir="$(kubernetes_provider_dir)"
    local pids=() on_path
    on_path="$(command -v pulumi || true)"
    if [[ -n "$on_path" && "$("$on_path" version 2>/dev/null)" == "v$cli_version" ]]; then
        PULUMI_ROOT="$(dirname "$(dirname "$on_path")")"
        log "Pulumi CLI: $on_path (v$cli_version, on PATH)"
    else
        PULUMI_ROOT="$repo_root/.tools/pulumi-v$cli_version"
        mkdir -p "$PULUMI_ROOT/bin"
        if [[ ! -x "$PULUMI_ROOT/bin/pulumi" ]]; then
            command -v go >/dev/null || die "Go is needed to build the Pulumi CLI v$cli_version"
            build_pulumi_cli "$cli_version" "$PULUMI_ROOT" &
            pids+=($!)
        fi
    fi
    if [[ ! -x "$plugin_dir/pulumi-resource-kubernetes" ]]; then
        command -v go >/dev/null || die "Go is needed to build pulumi-resource-kubernetes v$k8s_version"
        # Waits for a family build already running (scripts/build-tools), then builds what is still missing.
        build_kube_family pulumi-resource-kubernetes &
        pids+=($!)
    fi
    for pid in "${pids[@]}"; do wait "$pid" || die "a Pulumi tool build failed (see above)"; done
    # The launcher the CLI runs for a Node.js policy pack when no Node.js language host is
    # installed (sdk/go/common/resource/plugin/analyzer_plugin.go): the same two lines as the
    # script in the CLI's own distribution, which cannot be downloaded here.
    local launchers="$repo_root/.tools/pulumi-launchers"
    mkdir -p "$launchers"
    printf '#!/bin/sh\n# Runs a Node.js policy pack from its folder, as the CLI distribution does.\nexec node ./node_modules/@pulumi/pulumi/cmd/run-policy-pack "$@"\n' >"$launchers/pulumi-analyzer-policy-nodejs"
    chmod +x "$launchers/pulumi-analyzer-policy-nodejs"
    # The policy pack is a project of its own (policy/package.json) with its own packages.
    local lock_hash stamp="$repo_root/policy/node_modules/.ragstar-lock-sha256"
    lock_hash="$(sha256sum "$repo_root/policy/package-lock.json" | cut -d' ' -f1)"
    if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$lock_hash" ]]; then
        (cd "$repo_root/policy" && npm ci --no-audit --no-fund --loglevel=error >&2) || die "npm ci in policy/ failed"
        echo "$lock_hash" >"$stamp"
    fi
    export PULUMI_ROOT PATH="$PULUMI_ROOT/bin:$launchers:$PATH"
    log "Pulumi CLI $("$PULUMI_ROOT/bin/pulumi" version), pulumi-resource-kubernetes v$k8s_version in $plugin_dir"
}
