/** The data PersistentVolumeClaim spec builder. */
import { dataClaimSpec } from "../../infra/k8s/dataClaim";

test("the access mode and size; no storageClassName unless set (the cluster's default class)", () => {
    expect(dataClaimSpec({ size: "1Gi", accessMode: "ReadWriteOnce" })).toEqual({ accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } });
});

test("a StorageClass when set", () => {
    expect(dataClaimSpec({ size: "20Gi", accessMode: "ReadWriteOncePod", storageClassName: "standard-retain" })).toEqual({
        accessModes: ["ReadWriteOncePod"],
        resources: { requests: { storage: "20Gi" } },
        storageClassName: "standard-retain",
    });
});
