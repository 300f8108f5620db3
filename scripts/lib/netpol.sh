# build_netpol_engine OUT_DIR: builds OUT_DIR/kube-network-policies from the Go module
# sigs.k8s.io/kube-network-policies at KUBE_NETWORK_POLICIES_VERSION (SIG Network's NetworkPolicy
# agent: an nftables table sends the first packet of each connection to or from a pod selected by
# a NetworkPolicy to an nfqueue, and the agent accepts or drops it). Same technique as kubelet and
# the control plane (scripts/lib/kube-tools.sh): a wrapper module in .tools/build/<name>, `go build`
# of the module's cmd package (its main is in cmd/main.go). Cached: does nothing when the binary is
# already there, so pass a folder keyed by version, e.g. .tools/kube-network-policies-<version>
# (netpol_engine_dir prints that one). Needs Go; fails with die (scripts/lib/log.sh) on a build error.
# Expects repo_root and KUBE_NETWORK_POLICIES_VERSION (scripts/lib/versions.sh), set before it is sourced.
# Not started by the control plane. Run-time facts (issue 13): it reads only the in-cluster config
# (token and CA under /var/run/secrets/kubernetes.io/serviceaccount, KUBERNETES_SERVICE_HOST/PORT);
# its nftables table name is fixed (inet kube-network-policies: two instances would flush each
# other's), and each instance needs its own --nfqueue-id (a second bind of a queue fails with
# "operation not permitted" and the agent keeps running without enforcing); on a kernel without
# CONFIG_NFT_QUEUE its table cannot be made ("netlink receive: no such file or directory").
: "${repo_root:?is not set: the entry script sets it before sourcing scripts/lib/netpol.sh}"
: "${KUBE_NETWORK_POLICIES_VERSION:?is not set: source scripts/lib/versions.sh first}"

netpol_engine_dir() { printf '%s/.tools/kube-network-policies-%s\n' "$repo_root" "$KUBE_NETWORK_POLICIES_VERSION"; }

build_netpol_engine() {
    local out="${1:?usage: build_netpol_engine OUT_DIR}" v="$KUBE_NETWORK_POLICIES_VERSION" mod
    local build="$repo_root/.tools/build/kube-network-policies-$v"
    [[ -x "$out/kube-network-policies" ]] && return 0
    command -v go >/dev/null || die "Go is needed to build kube-network-policies $v"
    log "building kube-network-policies $v from sigs.k8s.io/kube-network-policies"
    rm -rf "$build" && mkdir -p "$build" "$out"
    mod="$(go mod download -json "sigs.k8s.io/kube-network-policies@$v" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).GoMod))')" \
        || die "go mod download sigs.k8s.io/kube-network-policies@$v failed"
    printf 'module ragstar.local/kube-network-policies-build\n\ngo %s\n\nrequire sigs.k8s.io/kube-network-policies %s\n' "$(sed -n 's/^go //p' "$mod")" "$v" >"$build/go.mod"
    printf '//go:build tools\n\npackage tools\n\nimport _ "sigs.k8s.io/kube-network-policies/cmd"\n' >"$build/tools.go"
    (
        cd "$build"
        GOFLAGS=-mod=mod go mod tidy
        go build -o "$out/kube-network-policies.partial" sigs.k8s.io/kube-network-policies/cmd \
            && mv "$out/kube-network-policies.partial" "$out/kube-network-policies"
    ) >&2 || die "building kube-network-policies $v failed"
}
