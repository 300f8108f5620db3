# ensure_kube_tools: a local Kubernetes control plane's binaries, built from Go modules into
# git-ignored folders keyed by version and reused:
#   .tools/kubernetes-v<KUBE_VERSION>/{kube-apiserver,kube-controller-manager,kube-scheduler,kubectl}
#   .tools/kubernetes-node-v<KUBE_VERSION>/{kubelet,kube-proxy}   (the real node, scripts/lib/node.sh)
#   .tools/etcd-v<ETCD_VERSION>/etcd     (the etcd that release of Kubernetes requires)
#   .tools/kwok-<KWOK_VERSION>/kwok      (simulated nodes: no kubelet can run containers here)
#   .tools/kube-network-policies-<KUBE_NETWORK_POLICIES_VERSION>/kube-network-policies
#                                        (the node's NetworkPolicy engine, scripts/lib/netpol.sh)
#   .tools/pulumi-home/plugins/resource-kubernetes-v<npm release>/pulumi-resource-kubernetes
#                                        (built with the others: see "The Kubernetes family" below)
# Exports KUBE_BIN, NODE_BIN, ETCD_BIN and KWOK_BIN (folders) and KUBE_VERSION. kwok builds in
# parallel with the family's one build.
# Expects repo_root and the pins of scripts/lib/versions.sh, set before it is sourced, and
# scripts/lib/netpol.sh sourced before ensure_kube_tools runs.
: "${GO_LDFLAGS_STRIP:?is not set: source scripts/lib/versions.sh first}"
: "${GO_GCFLAGS_NODWARF:?is not set: source scripts/lib/versions.sh first}"
: "${repo_root:?is not set: the entry script sets it before sourcing scripts/lib/kube-tools.sh}"
: "${KUBE_VERSION:?is not set: source scripts/lib/versions.sh first}"
: "${ETCD_VERSION:?is not set: source scripts/lib/versions.sh first}"
: "${KWOK_VERSION:?is not set: source scripts/lib/versions.sh first}"
: "${KUBE_NETWORK_POLICIES_VERSION:?is not set: source scripts/lib/versions.sh first}"
: "${KUBERNETES_PROVIDER_MODULE_VERSION[*]:?is not set: source scripts/lib/versions.sh first}"

# The Kubernetes family: every Go tool here whose module graph is Kubernetes' (client-go and its
# sibling modules), built in ONE wrapper module (.tools/build/kubernetes-family) by ONE `go build`:
#   k8s.io/kubernetes v<KUBE_VERSION>: kube-apiserver, kube-controller-manager, kube-scheduler,
#     kubectl (-> KUBE_BIN), kubelet, kube-proxy (-> NODE_BIN);
#   go.etcd.io/etcd/server/v3 v<ETCD_VERSION>: etcd (-> ETCD_BIN), through a two-line main of
#     ours, as etcd's own main lives in the repository's root module, which the proxy does not serve;
#   sigs.k8s.io/kube-network-policies <KUBE_NETWORK_POLICIES_VERSION> (-> netpol_engine_dir);
#   github.com/pulumi/pulumi-kubernetes/provider/v4 at the @pulumi/kubernetes npm release's commit
#     (-> kubernetes_provider_dir).
# Each module alone pins its own Kubernetes minor (the provider v0.33, the NetworkPolicy engine
# v0.32) and compiled client-go, apimachinery and k8s.io/api again: the provider shares about 940
# of its 1,500 packages with the control plane, the engine nearly all of its own. In one module
# the minimal version selection takes Kubernetes v0.<KUBE_VERSION minor> for all of them, so each
# package compiles once. What that changes: the provider and the engine are built against the
# control plane's client-go (newer than their releases'), and every tool against the newest
# version any of them requires of a shared module (grpc, OpenTelemetry). The Pulumi CLI stays
# apart (scripts/lib/pulumi-tools.sh): the provider release does not compile against the CLI's
# newer github.com/pulumi/pulumi/pkg/v3 (pkg/gen/schema.go, a changed codegen/schema field).
# kwok stays apart too: its release needs Kubernetes v0.36, which the control plane's v0.34
# modules cannot be raised to.

# kubernetes_provider_version: the @pulumi/kubernetes npm release in node_modules.
kubernetes_provider_version() { node -p "require('$repo_root/node_modules/@pulumi/kubernetes/package.json').version"; }

# kubernetes_provider_dir: the plugin folder the Pulumi CLI looks in (PULUMI_HOME/plugins, the
# CLI's layout: resource-<name>-v<version>) for that release's provider.
kubernetes_provider_dir() { printf '%s/.tools/pulumi-home/plugins/resource-kubernetes-v%s\n' "$repo_root" "$(kubernetes_provider_version)"; }

# kube_cluster_tools: one line per tool of the family that the cluster runs,
# "NAME<TAB>PACKAGE<TAB>FOLDER" (needs no npm packages: a clone without node_modules can check them).
kube_cluster_tools() {
    kube_tool_paths
    local cmd
    for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do printf '%s\tk8s.io/kubernetes/cmd/%s\t%s\n' "$cmd" "$cmd" "$KUBE_BIN"; done
    for cmd in kubelet kube-proxy; do printf '%s\tk8s.io/kubernetes/cmd/%s\t%s\n' "$cmd" "$cmd" "$NODE_BIN"; done
    printf 'etcd\tragstar.local/kubernetes-family/etcd\t%s\n' "$ETCD_BIN"
    printf 'kube-network-policies\tsigs.k8s.io/kube-network-policies/cmd\t%s\n' "$(netpol_engine_dir)"
}

# kube_family_tools: kube_cluster_tools and the Kubernetes provider (its folder is named after the
# npm release in node_modules).
kube_family_tools() {
    kube_cluster_tools
    printf 'pulumi-resource-kubernetes\tgithub.com/pulumi/pulumi-kubernetes/provider/v4/cmd/pulumi-resource-kubernetes\t%s\n' "$(kubernetes_provider_dir)"
}

# kube_family_missing [NAME...]: the tools of the family (all of them, or those named) whose
# binary is not in its folder yet, one "NAME<TAB>PACKAGE<TAB>FOLDER" line each.
kube_family_missing() {
    local name pkg dir want=" $* "
    while IFS=$'\t' read -r name pkg dir; do
        [[ $# -eq 0 || "$want" == *" $name "* ]] || continue
        [[ -x "$dir/$name" ]] || printf '%s\t%s\t%s\n' "$name" "$pkg" "$dir"
    done < <(kube_family_tools)
}

# kube_family_module DIR: write the wrapper module into DIR (go.mod, tools.go, etcd/main.go, the
# provider's source with its generated files) and resolve it (go mod tidy). Always all the tools,
# whichever are built, so the module graph (and every binary's dependencies) does not depend on
# which binaries a machine happened to have cached.
kube_family_module() {
    local build="$1" kube_mod provider_version provider_module provider_src go_version
    provider_version="$(kubernetes_provider_version)"
    provider_module="${KUBERNETES_PROVIDER_MODULE_VERSION[$provider_version]:-}"
    [[ -n "$provider_module" ]] || die "no Go module version known for the Kubernetes provider $provider_version; add it to KUBERNETES_PROVIDER_MODULE_VERSION in scripts/lib/versions.sh"
    kube_mod="$(go_module_file GoMod "k8s.io/kubernetes@v$KUBE_VERSION")" || die "go mod download k8s.io/kubernetes@v$KUBE_VERSION failed"
    # The provider's source: the module zip, plus the versioned schema and mapping files its main
    # embeds, which its generate.go writes. generate.go is built here as a main package of the
    # family module (without its `ignore` build constraint), so its pkg/v3 packages compile once.
    provider_src="$build/pulumi-kubernetes-provider"
    cp -r "$(go_module_file Dir "github.com/pulumi/pulumi-kubernetes/provider/v4@$provider_module")" "$provider_src" \
        || die "go mod download github.com/pulumi/pulumi-kubernetes/provider/v4@$provider_module failed"
    chmod -R u+w "$provider_src"
    mkdir -p "$build/provider-generate" "$build/etcd"
    sed '/^\/\/go:build ignore$/d; /^\/\/ +build ignore$/d' "$provider_src/cmd/pulumi-resource-kubernetes/generate.go" >"$build/provider-generate/main.go"
    go_version="$(printf '%s\n' "$(sed -n 's/^go //p' "$kube_mod")" "$(sed -n 's/^go //p' "$provider_src/go.mod")" | sort -V | tail -1)"
    {
        printf 'module ragstar.local/kubernetes-family\n\ngo %s\n\nrequire (\n' "$go_version"
        printf '\tk8s.io/kubernetes v%s\n\tgo.etcd.io/etcd/server/v3 v%s\n\tsigs.k8s.io/kube-network-policies %s\n' "$KUBE_VERSION" "$ETCD_VERSION" "$KUBE_NETWORK_POLICIES_VERSION"
        printf '\tgithub.com/pulumi/pulumi-kubernetes/provider/v4 %s\n\tgithub.com/pulumi/pulumi-kubernetes/sdk/v4 v%s\n)\n\n' "$provider_module" "$provider_version"
        # k8s.io/kubernetes lists its staging modules as v0.0.0 replaced by ./staging folders that
        # its module zip does not carry: replace each with the published v0.<minor>.<patch>.
        printf 'replace (\n'
        grep '=> ./staging' "$kube_mod" | awk -v v="v0.${KUBE_VERSION#1.}" '{print "\t" $1 " => " $1 " " v}'
        # The provider with its generated files; its SDK is replaced by ../sdk in its own go.mod,
        # which the module zip does not carry (replaces of a dependency are ignored anyway).
        printf '\tgithub.com/pulumi/pulumi-kubernetes/provider/v4 => ./pulumi-kubernetes-provider\n'
        printf ')\n'
    } >"$build/go.mod"
    # The provider's own replaces other than its sibling SDK folder would apply only in its own
    # module: the family needs the same ones.
    grep '^replace ' "$provider_src/go.mod" | grep -v '=> \.\./' >>"$build/go.mod" || true
    printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' >"$build/etcd/main.go"
    {
        printf '//go:build tools\n\npackage tools\n\nimport (\n'
        kube_family_tools | cut -f2 | grep -v '^ragstar.local/' | sed 's/.*/\t_ "&"/'
        printf ')\n'
    } >"$build/tools.go"
    (cd "$build" && GOFLAGS=-mod=mod go mod tidy) >&2 || die "resolving the Kubernetes family's module (go mod tidy in $build) failed"
    (
        cd "$build"
        go build -gcflags "$GO_GCFLAGS_NODWARF" -ldflags "$GO_LDFLAGS_STRIP" -o "$build/provider-generate/generate" ./provider-generate
        cd "$provider_src/cmd/pulumi-resource-kubernetes" && VERSION="$provider_version" "$build/provider-generate/generate"
    ) >&2 || die "generating the Kubernetes provider's embedded schema failed"
}

# build_kube_family NAME...: build the named tools of the family that are still missing, in one
# `go build`, and move each binary whole into its folder (a cached folder never holds a
# half-written one). Holds .tools/build/kubernetes-family.lock meanwhile, so two callers
# (scripts/build-tools runs the cluster's and Pulumi's ensure_ functions in parallel) build once:
# the second waits, then finds its binaries in place.
# shellcheck disable=SC2120 # no NAME: every tool of the family that is missing
build_kube_family() {
    local lock="$repo_root/.tools/build/kubernetes-family.lock"
    mkdir -p "$repo_root/.tools/build"
    (
        flock 9
        local build="$repo_root/.tools/build/kubernetes-family" minor t0=$SECONDS
        local names=() pkgs=() dirs=() name pkg dir i ldflags
        while IFS=$'\t' read -r name pkg dir; do names+=("$name") && pkgs+=("$pkg") && dirs+=("$dir"); done < <(kube_family_missing "$@")
        ((${#names[@]} > 0)) || exit 0
        log "building ${names[*]} in one Go module with k8s.io/kubernetes v$KUBE_VERSION (many minutes on a cold machine)"
        rm -rf "$build" && mkdir -p "$build/bin"
        kube_family_module "$build"
        minor="${KUBE_VERSION#1.}"
        minor="${minor%%.*}"
        ldflags="$GO_LDFLAGS_STRIP -X k8s.io/component-base/version.gitVersion=v$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
        ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=v$KUBE_VERSION"
        ldflags+=" -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$(kubernetes_provider_version)"
        # `go build -o DIR/` names each binary after its package's last element.
        (cd "$build" && go build -gcflags "$GO_GCFLAGS_NODWARF" -ldflags "$ldflags" -o "$build/bin/" "${pkgs[@]}") >&2 || die "building ${names[*]} failed"
        for i in "${!names[@]}"; do
            mkdir -p "${dirs[$i]}"
            mv "$build/bin/${pkgs[$i]##*/}" "${dirs[$i]}/${names[$i]}"
        done
        log "built ${names[*]} in $((SECONDS - t0)) s"
    ) 9>"$lock"
}

build_kwok() {
    local out="$1" t0=$SECONDS
    log "building kwok $KWOK_VERSION from sigs.k8s.io/kwok"
    GOBIN="$out" go install -gcflags "$GO_GCFLAGS_NODWARF" -ldflags "$GO_LDFLAGS_STRIP" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" >&2 || die "building kwok $KWOK_VERSION failed"
    log "built kwok $KWOK_VERSION in $((SECONDS - t0)) s"
}

# kube_tool_paths: export the folders only (nothing is built), e.g. for a stop step.
kube_tool_paths() {
    export KUBE_VERSION KUBE_BIN="$repo_root/.tools/kubernetes-v$KUBE_VERSION" NODE_BIN="$repo_root/.tools/kubernetes-node-v$KUBE_VERSION" ETCD_BIN="$repo_root/.tools/etcd-v$ETCD_VERSION" KWOK_BIN="$repo_root/.tools/kwok-$KWOK_VERSION"
}

ensure_kube_tools() {
    command -v go >/dev/null || die "Go is needed to build the embedded control plane"
    kube_tool_paths
    mkdir -p "$KUBE_BIN" "$NODE_BIN" "$ETCD_BIN" "$KWOK_BIN"
    local pids=() name pkg dir missing=0
    while IFS=$'\t' read -r name pkg dir; do [[ -x "$dir/$name" ]] || missing=1; done < <(kube_cluster_tools)
    # The whole family, the provider included, when one of the cluster's is missing: one build.
    # shellcheck disable=SC2119 # no NAME: the whole family
    ((missing == 0)) || { build_kube_family & pids+=($!); }
    [[ -x "$KWOK_BIN/kwok" ]] || { build_kwok "$KWOK_BIN" & pids+=($!); }
    for pid in "${pids[@]}"; do wait "$pid" || die "a control-plane build failed (see above)"; done
    log "control plane: Kubernetes v$KUBE_VERSION, etcd v$ETCD_VERSION, kwok $KWOK_VERSION; NetworkPolicy engine kube-network-policies $KUBE_NETWORK_POLICIES_VERSION"
}
