/**
 * The ClusterIP Service in front of the pods: port 80, aimed at the container's named port, so a
 * change of the container port (the Dockerfile's EXPOSE) needs no change here.
 */
import type * as k8s from "@pulumi/kubernetes";

import { selectorLabels } from "./labels";
import { CONTAINER_PORT_NAME } from "./podSpec";

/** The Service's port: plain HTTP inside the cluster. */
export const SERVICE_PORT = 80;

/** @param instance the stack name (`app.kubernetes.io/instance`), which selects its pods */
export function serviceSpec(instance: string): k8s.types.input.core.v1.ServiceSpec {
    return {
        type: "ClusterIP",
        selector: selectorLabels(instance),
        ports: [{ name: CONTAINER_PORT_NAME, port: SERVICE_PORT, targetPort: CONTAINER_PORT_NAME, protocol: "TCP" }],
    };
}
