/**
 * The PersistentVolumeClaim of the service's data directory (its SQLite store), from
 * `ragstar:storage`: one access mode only one node mounts, the size, and the StorageClass when set
 * (unset: the cluster's default class).
 */
import type * as k8s from "@pulumi/kubernetes";

import type { PlainStackConfig } from "../config/stackConfig";

/** @param storage the validated `ragstar:storage` (size a Kubernetes quantity, e.g. `1Gi`) */
export function dataClaimSpec(storage: PlainStackConfig["storage"]): k8s.types.input.core.v1.PersistentVolumeClaimSpec {
    return {
        accessModes: [storage.accessMode],
        resources: { requests: { storage: storage.size } },
        ...(storage.storageClassName ? { storageClassName: storage.storageClassName } : {}),
    };
}
