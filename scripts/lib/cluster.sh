# The embedded cluster: the control plane (scripts/lib/control-plane.sh) and this checkout's real
# node (scripts/lib/node.sh). start_cluster starts what is not running and sets CLUSTER_STARTED_HERE
# (1 when it started the control plane, "node" when only the node); stop_cluster stops the node
# first (its pods go through the API), then the control plane.
# Expects the libraries above sourced, and ensure_kube_tools run.

start_cluster() {
    ensure_node_packages
    start_control_plane
    CLUSTER_STARTED_HERE="$CP_STARTED_HERE"
    if ! node_running; then
        [[ "$CLUSTER_STARTED_HERE" == 1 ]] || CLUSTER_STARTED_HERE=node
    fi
    start_node
}

stop_cluster() {
    stop_node
    stop_control_plane
}
