/**
 * The pod spec builder, called directly with plain values (no Pulumi mocks): the hardening, the
 * probes, the image, the environment and the volumes it writes.
 */
import { checkRestricted } from "../../infra/k8s/podSecurity";
import { CONTAINER_NAME, CONTAINER_PORT_NAME, podToleration, ragstarContainer, ragstarPodSpec, secretFileVariable, type PodSpecArgs } from "../../infra/k8s/podSpec";
import type { ProbeSet } from "../../infra/probes/types";

const IMAGE = `registry.example.com/ragstar@sha256:${"ab".repeat(32)}`;
const resources = { requests: { cpu: "100m", memory: "256Mi", "ephemeral-storage": "64Mi" }, limits: { cpu: "1", memory: "512Mi", "ephemeral-storage": "256Mi" } };
const probe = (path: string, periodSeconds: number) => ({ httpGet: { path, port: 8000, scheme: "HTTP" as const }, periodSeconds, timeoutSeconds: 3, failureThreshold: 3, successThreshold: 1 });
const PROBES: ProbeSet = { livenessProbe: probe("/health", 33), readinessProbe: probe("/ready", 30), startupProbe: { ...probe("/health", 5), failureThreshold: 21 } };

const args = (extra: Partial<PodSpecArgs> = {}): PodSpecArgs => ({
    instance: "dev",
    config: { database: "sqlite", runAsUser: 10001, resources, tmpSizeLimit: "64Mi", terminationGracePeriodSeconds: 45, nodeSelector: {}, tolerations: [] },
    image: IMAGE,
    probes: PROBES,
    containerPort: 8000,
    configPath: "/app/config/ragstar.yaml",
    dataPath: "/app/ragstar_db",
    secretFiles: [],
    objects: { serviceAccount: "ragstar", configMap: "ragstar-config-0123456789", dataClaim: "ragstar-data" },
    ...extra,
});
/** The spec as plain data: the builder's inputs here are plain values, never Outputs. */
const plain = (value: unknown): Record<string, any> => value as Record<string, any>;

describe("ragstarPodSpec", () => {
    test("is the hardened pod: restricted securityContexts for the UID, no token, no service links", () => {
        const spec = plain(ragstarPodSpec(args()));
        expect(spec).toMatchObject({ serviceAccountName: "ragstar", automountServiceAccountToken: false, enableServiceLinks: false, terminationGracePeriodSeconds: 45 });
        expect(spec.securityContext).toEqual({
            runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, fsGroupChangePolicy: "OnRootMismatch", seccompProfile: { type: "RuntimeDefault" },
        });
        expect(spec.containers[0].securityContext).toEqual({
            allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, capabilities: { drop: ["ALL"] },
        });
        expect(checkRestricted(spec)).toEqual([]);
    });

    test("names the pull Secret only when there is one", () => {
        expect(ragstarPodSpec(args())).not.toHaveProperty("imagePullSecrets");
        const spec = ragstarPodSpec(args({ objects: { ...args().objects, imagePullSecret: "ragstar-registry" } }));
        expect(spec.imagePullSecrets).toEqual([{ name: "ragstar-registry" }]);
    });

    test("places the pod by the stack's nodeSelector and tolerations, and writes neither when they are empty", () => {
        const none = ragstarPodSpec(args());
        expect(none).not.toHaveProperty("nodeSelector");
        expect(none).not.toHaveProperty("tolerations");
        const config = {
            ...args().config,
            nodeSelector: { type: "kwok", "kubernetes.io/arch": "amd64" },
            tolerations: [
                { key: "kwok.x-k8s.io/node", operator: "Exists" as const, effect: "NoSchedule" as const },
                { key: "node.kubernetes.io/unreachable", operator: "Exists" as const, effect: "NoExecute" as const, tolerationSeconds: 300 },
            ],
        };
        const spec = plain(ragstarPodSpec(args({ config })));
        expect(spec.nodeSelector).toEqual({ type: "kwok", "kubernetes.io/arch": "amd64" });
        expect(spec.tolerations).toEqual([
            { key: "kwok.x-k8s.io/node", operator: "Exists", effect: "NoSchedule" },
            { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
        ]);
        expect(checkRestricted(spec)).toEqual([]);
    });

    test("podToleration: the operator always, an empty key or value left out, tolerationSeconds 0 kept", () => {
        expect(podToleration({ key: "dedicated", operator: "Equal", value: "ragstar", effect: "PreferNoSchedule" })).toEqual({ key: "dedicated", operator: "Equal", value: "ragstar", effect: "PreferNoSchedule" });
        expect(podToleration({ key: "", operator: "Exists", value: "" })).toEqual({ operator: "Exists" });
        expect(podToleration({ key: "dedicated", operator: "Equal" })).toEqual({ key: "dedicated", operator: "Equal" });
        expect(podToleration({ key: "k", operator: "Exists", effect: "NoExecute", tolerationSeconds: 0 })).toEqual({ key: "k", operator: "Exists", effect: "NoExecute", tolerationSeconds: 0 });
    });

    test("mounts the config directory, the data claim, /tmp, and the secrets only with secret files", () => {
        const spec = plain(ragstarPodSpec(args()));
        expect(spec.volumes).toEqual([
            { name: "config", configMap: { name: "ragstar-config-0123456789" } },
            { name: "data", persistentVolumeClaim: { claimName: "ragstar-data" } },
            { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
        ]);
        expect(spec.containers[0].volumeMounts).toEqual([
            { name: "config", mountPath: "/app/config", readOnly: true },
            { name: "data", mountPath: "/app/ragstar_db" },
            { name: "tmp", mountPath: "/tmp" },
        ]);
        const withSecrets = plain(ragstarPodSpec(args({ secretFiles: ["admin_token"], objects: { ...args().objects, secret: "ragstar-secrets" } })));
        expect(withSecrets.volumes[3]).toEqual({ name: "secrets", secret: { secretName: "ragstar-secrets", defaultMode: 0o440 } });
        expect(withSecrets.containers[0].volumeMounts[3]).toEqual({ name: "secrets", mountPath: "/run/secrets/ragstar", readOnly: true });
    });

    test("postgres mode: no data volume, no RAGSTAR_DB_PATH, the spread over nodes and zones", () => {
        const base = args();
        const spec = plain(ragstarPodSpec({
            ...base,
            instance: "prod",
            config: { ...base.config, database: "postgres" },
            secretFiles: ["database_url"],
            objects: { serviceAccount: "ragstar", configMap: "ragstar-config-0123456789", secret: "ragstar-secrets" },
        }));
        expect(spec.volumes.map((v: { name: string }) => v.name)).toEqual(["config", "tmp", "secrets"]);
        expect(spec.containers[0].volumeMounts.map((m: { name: string }) => m.name)).toEqual(["config", "tmp", "secrets"]);
        expect(spec.containers[0].env).toEqual([
            { name: "RAGSTAR_CONFIG_PATH", value: "/app/config/ragstar.yaml" },
            { name: "RAGSTAR_DATABASE_URL_FILE", value: "/run/secrets/ragstar/database_url" },
        ]);
        expect(spec.topologySpreadConstraints.map((c: { topologyKey: string }) => c.topologyKey)).toEqual(["kubernetes.io/hostname", "topology.kubernetes.io/zone"]);
        expect(plain(ragstarPodSpec(args()))).not.toHaveProperty("topologySpreadConstraints");
        expect(checkRestricted(spec)).toEqual([]);
    });
});

describe("ragstarContainer", () => {
    test("runs the digest-pinned image, IfNotPresent, on the named port, with the stack's resources", () => {
        const container = plain(ragstarContainer(args(), []));
        expect(container).toMatchObject({ name: CONTAINER_NAME, image: IMAGE, imagePullPolicy: "IfNotPresent", resources });
        expect(container.ports).toEqual([{ name: CONTAINER_PORT_NAME, containerPort: 8000, protocol: "TCP" }]);
    });

    test("carries the three probes as derived, or none at all when the stack opted out", () => {
        expect(ragstarContainer(args(), [])).toMatchObject(PROBES);
        const without = ragstarContainer(args({ probes: null }), []);
        for (const field of ["livenessProbe", "readinessProbe", "startupProbe"]) expect(without).not.toHaveProperty(field);
    });

    test("tells the service its paths; secrets as file paths, never values", () => {
        const container = plain(ragstarContainer(args({ secretFiles: ["admin_token", "github_token"] }), []));
        expect(container.env).toEqual([
            { name: "RAGSTAR_CONFIG_PATH", value: "/app/config/ragstar.yaml" },
            { name: "RAGSTAR_DB_PATH", value: "/app/ragstar_db" },
            { name: "RAGSTAR_ADMIN_TOKEN_FILE", value: "/run/secrets/ragstar/admin_token" },
            { name: "RAGSTAR_GITHUB_TOKEN_FILE", value: "/run/secrets/ragstar/github_token" },
        ]);
    });

    test("secretFileVariable: the service's RAGSTAR_<NAME>_FILE", () => {
        expect(secretFileVariable("ollama_api_key")).toBe("RAGSTAR_OLLAMA_API_KEY_FILE");
    });
});
