/**
 * The volumes and mounts builder and the mounts the data directory must stay clear of
 * (mountPathProblem itself is in kubernetesRules.test.ts).
 */
import { mountPathProblem, mountsBesideData, podVolumes, secretFilePath, SECRET_FILE_MODE, SECRETS_MOUNT_PATH } from "../../infra/k8s/mounts";

const base = { configPath: "/etc/ragstar/ragstar.yaml", dataPath: "/var/lib/ragstar", tmpSizeLimit: "128Mi", configMapName: "cm", claimName: "claim" };

test("volumes and mounts pair up in order: config (read-only), data, a size-limited /tmp", () => {
    expect(podVolumes(base)).toEqual({
        volumes: [
            { name: "config", configMap: { name: "cm" } },
            { name: "data", persistentVolumeClaim: { claimName: "claim" } },
            { name: "tmp", emptyDir: { sizeLimit: "128Mi" } },
        ],
        volumeMounts: [
            { name: "config", mountPath: "/etc/ragstar", readOnly: true },
            { name: "data", mountPath: "/var/lib/ragstar" },
            { name: "tmp", mountPath: "/tmp" },
        ],
    });
});

test("a Secret adds its files read-only, mode 0440", () => {
    const { volumes, volumeMounts } = podVolumes({ ...base, secretName: "ragstar-secrets" });
    expect(SECRET_FILE_MODE).toBe(0o440);
    expect(volumes.at(-1)).toEqual({ name: "secrets", secret: { secretName: "ragstar-secrets", defaultMode: 0o440 } });
    expect(volumeMounts.at(-1)).toEqual({ name: "secrets", mountPath: "/run/secrets/ragstar", readOnly: true });
});

test("the data directory is checked against every other mount, secrets included even without a Secret", () => {
    expect(mountsBesideData(base.configPath)).toEqual([
        { name: "config", mountPath: "/etc/ragstar" },
        { name: "tmp", mountPath: "/tmp" },
        { name: "secrets", mountPath: "/run/secrets/ragstar" },
    ]);
    const others = mountsBesideData(base.configPath);
    expect(mountPathProblem("/run/secrets/ragstar/db", others)).toContain("overlaps the secrets volume");
    expect(mountPathProblem("/etc/ragstar", others)).toContain("collides with the config volume");
    expect(mountPathProblem(base.dataPath, others)).toBeUndefined();
});

test("a secret file's path is inside the secrets mount", () => {
    expect(secretFilePath("admin_token")).toBe(`${SECRETS_MOUNT_PATH}/admin_token`);
});
