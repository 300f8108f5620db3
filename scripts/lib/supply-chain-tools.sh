# ensure_supply_chain_tools: cosign and syft, built from their Go modules into git-ignored folders
# keyed by version and reused:
#   .tools/cosign-<COSIGN_VERSION>/cosign    (signatures and attestations, infra/supplyChain/cosign.ts)
#   .tools/syft-<SYFT_VERSION>/syft          (the SBOM of a pushed image, infra/supplyChain/syft.ts)
# Exports COSIGN and SYFT (the binaries' paths).
# Both are built by ONE `go build` in one wrapper module (.tools/build/supply-chain): they share
# about 500 of their 2,500 packages (go-containerregistry, containerd, gRPC, OpenTelemetry, the
# AWS SDK), which then compile once. A flock on .tools/build/supply-chain.lock makes two callers
# build once. Expects repo_root and the pins of scripts/lib/versions.sh.
: "${GO_LDFLAGS_STRIP:?is not set: source scripts/lib/versions.sh first}"
: "${GO_GCFLAGS_NODWARF:?is not set: source scripts/lib/versions.sh first}"
: "${repo_root:?is not set: the entry script sets it before sourcing scripts/lib/supply-chain-tools.sh}"
: "${COSIGN_VERSION:?is not set: source scripts/lib/versions.sh first}"
: "${SYFT_VERSION:?is not set: source scripts/lib/versions.sh first}"

supply_chain_tool_paths() {
    export COSIGN="$repo_root/.tools/cosign-$COSIGN_VERSION/cosign" SYFT="$repo_root/.tools/syft-$SYFT_VERSION/syft"
}

# build_supply_chain_tools: build whichever of the two is missing (the module always holds both,
# so neither binary's dependencies depend on what a machine had cached), and move each binary
# whole into its folder.
build_supply_chain_tools() {
    local lock="$repo_root/.tools/build/supply-chain.lock"
    mkdir -p "$repo_root/.tools/build"
    (
        flock 9
        supply_chain_tool_paths
        [[ ! -x "$COSIGN" || ! -x "$SYFT" ]] || exit 0
        local build="$repo_root/.tools/build/supply-chain" t0=$SECONDS ldflags
        command -v go >/dev/null || die "Go is needed to build cosign and syft"
        log "building cosign $COSIGN_VERSION and syft $SYFT_VERSION in one Go module (many minutes on a cold machine)"
        rm -rf "$build" && mkdir -p "$build/bin"
        printf 'module ragstar.local/supply-chain\n\ngo 1.26\n\nrequire (\n\tgithub.com/sigstore/cosign/v2 %s\n\tgithub.com/anchore/syft %s\n)\n' \
            "$COSIGN_VERSION" "$SYFT_VERSION" >"$build/go.mod"
        printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "github.com/sigstore/cosign/v2/cmd/cosign"\n\t_ "github.com/anchore/syft/cmd/syft"\n)\n' >"$build/tools.go"
        (cd "$build" && GOFLAGS=-mod=mod go mod tidy) >&2 || die "resolving the supply-chain module (go mod tidy in $build) failed"
        # Each release's own version strings (cosign: release-utils, as its Makefile sets them;
        # syft: main.version, as its .goreleaser.yaml does), so SBOMs and `version` name them.
        ldflags="$GO_LDFLAGS_STRIP -X sigs.k8s.io/release-utils/version.gitVersion=$COSIGN_VERSION -X main.version=${SYFT_VERSION#v}"
        (cd "$build" && go build -gcflags "$GO_GCFLAGS_NODWARF" -ldflags "$ldflags" -o "$build/bin/" \
            github.com/sigstore/cosign/v2/cmd/cosign github.com/anchore/syft/cmd/syft) >&2 \
            || die "building cosign $COSIGN_VERSION and syft $SYFT_VERSION failed"
        mkdir -p "${COSIGN%/*}" "${SYFT%/*}"
        mv "$build/bin/cosign" "$COSIGN"
        mv "$build/bin/syft" "$SYFT"
        log "built cosign $COSIGN_VERSION and syft $SYFT_VERSION in $((SECONDS - t0)) s"
    ) 9>"$lock"
}

ensure_supply_chain_tools() {
    supply_chain_tool_paths
    [[ -x "$COSIGN" && -x "$SYFT" ]] || build_supply_chain_tools
}
