import * as fs from "node:fs";

import * as appsV1 from "kubernetes-models/apps/v1";
import * as autoscalingV2 from "kubernetes-models/autoscaling/v2";
import * as policyV1 from "kubernetes-models/policy/v1";
import * as networkingV1 from "kubernetes-models/networking.k8s.io/v1";
import * as coreV1 from "kubernetes-models/v1";
import { parseAllDocuments } from "yaml";

import { ConfigError, DockerfileError } from "../../infra/errors";
import { checkRestricted } from "../../infra/k8s/podSecurity";
import { placeholderDigest, redact, renderStack, toYaml, type Render } from "../../infra/tools/render/render";
import { devStackSetting, devStackWith, projectWith, REPO_ROOT } from "./projectFixture";
import type { KubernetesObject } from "../../infra/k8s/kubernetesObject";

const MODELS: Record<string, new (data: any) => { validate(): void }> = {
    Namespace: coreV1.Namespace,
    ServiceAccount: coreV1.ServiceAccount,
    ConfigMap: coreV1.ConfigMap,
    Secret: coreV1.Secret,
    PersistentVolumeClaim: coreV1.PersistentVolumeClaim,
    Service: coreV1.Service,
    Deployment: appsV1.Deployment,
    NetworkPolicy: networkingV1.NetworkPolicy,
    PodDisruptionBudget: policyV1.PodDisruptionBudget,
    HorizontalPodAutoscaler: autoscalingV2.HorizontalPodAutoscaler,
};

/** The database mode of each committed stack (docs/database.md): dev sqlite; staging 2 replicas and prod 2–6 autoscaled on postgres. */
const MODES: Record<string, "sqlite" | "postgres"> = { dev: "sqlite", staging: "postgres", prod: "postgres" };

const find = (render: Render, kind: string): KubernetesObject & Record<string, any> => {
    const object = render.objects.find((o) => o.kind === kind);
    if (!object) throw new Error(`no ${kind} in the render`);
    return object as KubernetesObject & Record<string, any>;
};
const podSpec = (render: Render) => find(render, "Deployment").spec.template.spec;
const container = (render: Render) => podSpec(render).containers[0];

describe.each(["dev", "staging", "prod"])("stack %s", (stack) => {
    let render: Render;
    beforeAll(async () => {
        render = await renderStack(stack);
    });

    test("declares the full object set of its database mode, in apply order", () => {
        const kinds = render.objects.map((o) => o.kind);
        if (MODES[stack] === "sqlite") expect(kinds).toEqual(["Namespace", "NetworkPolicy", "ServiceAccount", "ConfigMap", "PersistentVolumeClaim", "Service", "Deployment"]);
        // postgres: the URL's Secret (a render assumes it set), no claim, a budget; prod's autoscaler.
        else expect(kinds).toEqual(["Namespace", "NetworkPolicy", "ServiceAccount", "Secret", "ConfigMap", "Service", "Deployment", "PodDisruptionBudget", ...(stack === "prod" ? ["HorizontalPodAutoscaler"] : [])]);
    });

    test("every object is valid against the Kubernetes schema", () => {
        for (const object of render.objects) {
            expect(() => new MODELS[object.kind](object).validate()).not.toThrow();
        }
    });

    test("the Deployment passes the Pod Security Standard 'restricted'", () => {
        expect(checkRestricted(podSpec(render))).toEqual([]);
    });

    test("the Namespace enforces, audits and warns on 'restricted'", () => {
        expect(find(render, "Namespace").metadata.labels).toMatchObject({
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
        });
    });

    test("the pod and container security contexts are the hardened defaults", () => {
        expect(podSpec(render).securityContext).toEqual({
            runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, fsGroupChangePolicy: "OnRootMismatch", seccompProfile: { type: "RuntimeDefault" },
        });
        expect(container(render).securityContext).toEqual({
            allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, capabilities: { drop: ["ALL"] },
        });
        expect(podSpec(render)).toMatchObject({ automountServiceAccountToken: false, enableServiceLinks: false, serviceAccountName: "ragstar" });
        expect(find(render, "ServiceAccount").automountServiceAccountToken).toBe(false);
    });

    test("probes are derived from the repository's HEALTHCHECK (30s, 3s, 10s, 5s default, 3)", () => {
        const c = container(render);
        const timing = { timeoutSeconds: 3, failureThreshold: 3, successThreshold: 1 };
        expect(c.livenessProbe).toEqual({ httpGet: { path: "/health", port: 8000, scheme: "HTTP" }, periodSeconds: 33, ...timing });
        expect(c.readinessProbe).toEqual({ httpGet: { path: "/ready", port: 8000, scheme: "HTTP" }, periodSeconds: 30, ...timing });
        expect(c.startupProbe).toEqual({ httpGet: { path: "/health", port: 8000, scheme: "HTTP" }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 21, successThreshold: 1 });
        expect(render.outputs.probes?.startupProbe?.failureThreshold).toBe(21);
    });

    test("the image is pinned by digest, never a tag: dev's pushed digest, or the promoted ref", () => {
        const stackFile = fs.readFileSync(`${REPO_ROOT}/Pulumi.${stack}.yaml`, "utf8");
        const ref = /^    ref: (\S+)$/m.exec(stackFile)?.[1];
        const registry = /^    registry: (\S+)$/m.exec(stackFile)?.[1];
        expect(container(render).image).toBe(ref ?? placeholderDigest(`${registry}/ragstar:${stack}`));
        expect(container(render).image).toMatch(/^[^@]+\/ragstar@sha256:[0-9a-f]{64}$/);
        expect(render.outputs.image).toBe(container(render).image);
    });

    test("volumes: read-only config, the data claim (sqlite), a size-limited /tmp", () => {
        const c = container(render);
        if (MODES[stack] === "postgres") {
            expect(c.volumeMounts.map((m: { name: string }) => m.name)).toEqual(["config", "tmp", "secrets"]);
            expect(c.env.map((e: { name: string }) => e.name)).toEqual(["RAGSTAR_CONFIG_PATH", "RAGSTAR_DATABASE_URL_FILE"]);
            return;
        }
        const configMap = find(render, "ConfigMap");
        expect(c.volumeMounts).toEqual([
            { name: "config", mountPath: "/app/config", readOnly: true },
            { name: "data", mountPath: "/app/ragstar_db" },
            { name: "tmp", mountPath: "/tmp" },
        ]);
        const volumes = podSpec(render).volumes;
        expect(volumes[0]).toEqual({ name: "config", configMap: { name: configMap.metadata.name } });
        expect(volumes[1]).toEqual({ name: "data", persistentVolumeClaim: { claimName: "ragstar-data" } });
        expect(volumes[2].emptyDir.sizeLimit).toMatch(/^\d+Mi$/);
        expect(c.env).toEqual([
            { name: "RAGSTAR_CONFIG_PATH", value: "/app/config/ragstar.yaml" },
            { name: "RAGSTAR_DB_PATH", value: "/app/ragstar_db" },
        ]);
    });

    test("requests and limits cover cpu, memory and ephemeral-storage; sqlite: one replica with Recreate on a ReadWriteOnce volume; postgres: rolling, budgeted, spread", () => {
        const { resources } = container(render);
        for (const part of [resources.requests, resources.limits]) expect(Object.keys(part).sort()).toEqual(["cpu", "ephemeral-storage", "memory"]);
        const deployment = find(render, "Deployment").spec;
        if (MODES[stack] === "sqlite") {
            expect(deployment).toMatchObject({ replicas: 1, strategy: { type: "Recreate" } });
            expect(find(render, "PersistentVolumeClaim").spec.accessModes).toEqual(["ReadWriteOnce"]);
            return;
        }
        expect(deployment.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
        expect(find(render, "PodDisruptionBudget").spec).toMatchObject({ maxUnavailable: 1, selector: { matchLabels: { "app.kubernetes.io/instance": stack } } });
        expect(podSpec(render).topologySpreadConstraints).toHaveLength(2);
        if (stack === "prod") {
            expect(deployment).not.toHaveProperty("replicas");
            expect(find(render, "HorizontalPodAutoscaler").spec).toMatchObject({ minReplicas: 2, maxReplicas: 6, scaleTargetRef: { kind: "Deployment", name: "ragstar" } });
        } else {
            expect(deployment.replicas).toBe(2);
        }
        expect(find(render, "Secret").stringData).toEqual({ database_url: "[secret]" });
    });

    test("the NetworkPolicy admits the http port from the namespace and lets out only DNS, the database (postgres), Ollama and the GitHub API", () => {
        const spec = find(render, "NetworkPolicy").spec;
        if (MODES[stack] === "postgres") {
            const [database] = spec.egress.splice(1, 1);
            expect(database.ports).toEqual([{ port: 5432, protocol: "TCP" }]);
            expect(database.to).toEqual(stack === "prod" ? [{ ipBlock: { cidr: "10.20.0.0/24" } }] : [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ragstar-staging-db" } }, podSelector: { matchLabels: { "cnpg.io/cluster": "ragstar-db" } } }]);
        }
        expect(spec.podSelector).toEqual({ matchLabels: { "app.kubernetes.io/name": "ragstar", "app.kubernetes.io/instance": stack } });
        expect(spec.policyTypes).toEqual(["Ingress", "Egress"]);
        expect(spec.ingress).toEqual([{ from: [{ podSelector: {} }], ports: [{ port: "http", protocol: "TCP" }] }]);
        expect(spec.egress[0]).toEqual({
            to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
            ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }],
        });
        expect(spec.egress[1]).toEqual({
            to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ollama" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "ollama" } } }],
            ports: [{ port: 11434, protocol: "TCP" }],
        });
        const github = spec.egress.slice(2);
        expect(github.map((rule: any) => rule.to[0].ipBlock.cidr)).toEqual(["192.30.252.0/22", "185.199.108.0/22", "140.82.112.0/20", "143.55.64.0/20"]);
        for (const rule of github) expect(rule.ports).toEqual([{ port: 443, protocol: "TCP" }]);
    });

    test("the checkers' waivers are annotations with reasons, only those the config needs", () => {
        const annotations = find(render, "Deployment").metadata.annotations as Record<string, string>;
        const mode = MODES[stack] === "sqlite" ? "deployment-replicas,deployment-strategy" : "deployment-has-host-podantiaffinity";
        expect(annotations["kube-score/ignore"]).toBe(`container-image-pull-policy,${mode},container-security-context-user-group-id`);
        expect(annotations["checkov.io/skip1"]).toMatch(/^CKV_K8S_40=runAsUser 1000 is the image's numeric USER/);
        expect(annotations["ragstar.dev/review-waivers"]).toContain("container-image-pull-policy: the image is pinned by digest");
    });

    test("the Service is a ClusterIP with a port named http aimed at the container port", () => {
        expect(find(render, "Service").spec).toEqual({
            type: "ClusterIP",
            selector: { "app.kubernetes.io/name": "ragstar", "app.kubernetes.io/instance": stack },
            ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
        });
        expect(container(render).ports).toEqual([{ name: "http", containerPort: 8000, protocol: "TCP" }]);
    });

    test("the rendered YAML round-trips to the same objects", () => {
        const documents = parseAllDocuments(toYaml(render.objects)).map((d) => d.toJS());
        expect(documents).toEqual(render.objects);
    });
});

test("staging and prod deploy the digest dev built, as promoted", async () => {
    const [dev, staging, prod] = [await renderStack("dev"), await renderStack("staging"), await renderStack("prod")];
    expect(staging.outputs.image).toBe(dev.outputs.image);
    expect(prod.outputs.image).toBe(staging.outputs.image);
});

test("dev and prod differ where real stacks do", async () => {
    const [dev, prod] = [await renderStack("dev"), await renderStack("prod")];
    expect([dev.outputs.namespace, prod.outputs.namespace]).toEqual(["ragstar-dev", "ragstar"]);
    expect(find(dev, "PersistentVolumeClaim").spec.resources.requests.storage).toBe("1Gi");
    expect(prod.objects.map((o) => o.kind)).not.toContain("PersistentVolumeClaim");
    expect(find(prod, "HorizontalPodAutoscaler").spec.maxReplicas).toBe(6);
    expect(find(dev, "ConfigMap").data["ragstar.yaml"]).toContain("log_level: debug");
    expect(find(prod, "ConfigMap").data["ragstar.yaml"]).toContain("log_level: info");
});

test("a render is deterministic", async () => {
    expect(toYaml((await renderStack("prod")).objects)).toBe(toYaml((await renderStack("prod")).objects));
});

describe("secrets", () => {
    const secretLines = [
        "  ragstar:adminToken:",
        "    secure: v1:c2VjcmV0LWNpcGhlcnRleHQ=",
        "  ragstar:githubToken:",
        "    secure: v1:b3RoZXItY2lwaGVydGV4dA==",
        "",
    ].join("\n");

    test("become a Secret mounted as files, values printed as [secret]", async () => {
        const render = await renderStack("dev", projectWith("dev", devStackWith(secretLines)));
        const secret = find(render, "Secret");
        expect(secret.stringData).toEqual({ admin_token: "[secret]", github_token: "[secret]" });
        expect(secret.metadata.name).toBe("ragstar-secrets");
        const c = container(render);
        expect(c.env).toContainEqual({ name: "RAGSTAR_ADMIN_TOKEN_FILE", value: "/run/secrets/ragstar/admin_token" });
        expect(c.env).toContainEqual({ name: "RAGSTAR_GITHUB_TOKEN_FILE", value: "/run/secrets/ragstar/github_token" });
        expect(c.env.some((e: any) => e.valueFrom)).toBe(false);
        expect(c.volumeMounts).toContainEqual({ name: "secrets", mountPath: "/run/secrets/ragstar", readOnly: true });
        expect(podSpec(render).volumes).toContainEqual({ name: "secrets", secret: { secretName: "ragstar-secrets", defaultMode: 0o440 } });
        expect(new coreV1.Secret(secret as any).validate()).toBeUndefined();
        const yaml = toYaml(render.objects);
        expect(yaml).not.toContain("c2VjcmV0");
        expect(yaml).not.toContain("v1:");
    });

    test("a secret key stored in plain text is refused", async () => {
        const dir = projectWith("dev", devStackWith("  ragstar:adminToken: hunter2\n"));
        await expect(renderStack("dev", dir)).rejects.toThrow("ragstar:adminToken: is stored in plain text");
    });
});

describe("changes and errors", () => {
    test("a config change renames the ConfigMap and so changes the pod template", async () => {
        const before = await renderStack("dev");
        const after = await renderStack("dev", projectWith("dev", devStackSetting({ "ragstar:app": { log_level: "warning" } })));
        const [a, b] = [find(before, "ConfigMap").metadata.name, find(after, "ConfigMap").metadata.name];
        expect(a).toMatch(/^ragstar-config-[0-9a-f]{10}$/);
        expect(b).toMatch(/^ragstar-config-[0-9a-f]{10}$/);
        expect(b).not.toBe(a);
        expect(podSpec(after).volumes[0].configMap.name).toBe(b);
    });

    test("a digest-pinned image.ref skips the build and is deployed as given", async () => {
        const ref = `registry.example.com/ragstar@sha256:${"ab".repeat(32)}`;
        const stackYaml = `config:\n  ragstar:namespace: ragstar-staging\n  ragstar:image:\n    ref: ${ref}\n`;
        const render = await renderStack("staging", projectWith("staging", stackYaml));
        expect(container(render).image).toBe(ref);
    });

    test("image.fromStack deploys another stack's image output through a StackReference", async () => {
        const stackYaml = "config:\n  ragstar:namespace: ragstar-canary\n  ragstar:image:\n    fromStack: organization/ragstar/staging\n";
        const render = await renderStack("canary", projectWith("canary", stackYaml));
        expect(container(render).image).toBe(placeholderDigest("stack-reference.invalid/organization/ragstar/staging:latest"));
    });

    test.each([
        ["USER 2000:2000", "USER 2000:2000 runs as UID 2000 but the stack config sets ragstar:runAsUser 1000"],
        ["USER appuser", "USER appuser names a user; use the numeric USER 1000:1000"],
    ])("a Dockerfile with %s is refused, naming the line", async (user, message) => {
        const dockerfile = fs.readFileSync(`${REPO_ROOT}/Dockerfile`, "utf8").replace("USER ${APP_UID}:${APP_UID}", user);
        const dir = projectWith("dev", fs.readFileSync(`${REPO_ROOT}/Pulumi.dev.yaml`, "utf8"), { Dockerfile: dockerfile });
        const line = dockerfile.split("\n").findIndex((l) => l === user) + 1;
        const error: DockerfileError = await renderStack("dev", dir).then(() => { throw new Error("expected an error"); }, (e) => e);
        expect(error).toBeInstanceOf(DockerfileError);
        expect(error.message).toContain(message);
        expect(error.line).toBe(line);
    });

    test("a bad HEALTHCHECK flag stops the program before any object is declared", async () => {
        const dockerfile = fs.readFileSync(`${REPO_ROOT}/Dockerfile`, "utf8").replace("--interval=30s", "--interval=30");
        const dir = projectWith("dev", fs.readFileSync(`${REPO_ROOT}/Pulumi.dev.yaml`, "utf8"), { Dockerfile: dockerfile });
        await expect(renderStack("dev", dir)).rejects.toThrow(/Dockerfile:\d+: HEALTHCHECK --interval=30: time: missing unit in duration "30"/);
    });

    test("a secret in the app overrides is refused", async () => {
        const dir = projectWith("dev", devStackSetting({ "ragstar:app": { admin_token: "x" } }));
        await expect(renderStack("dev", dir)).rejects.toThrow(ConfigError);
        await expect(renderStack("dev", dir)).rejects.toThrow("ragstar:app.admin_token: is a secret and cannot go in the ConfigMap");
    });

    test("an app override the service does not know is refused by the service's schema", async () => {
        const dir = projectWith("dev", devStackSetting({ "ragstar:app": { log_levl: "debug" } }));
        await expect(renderStack("dev", dir)).rejects.toThrow("ragstar:app.log_levl: must NOT have additional properties");
    });
});

describe("redact", () => {
    const SIG = "4dabf18193072939515e22adb298388d";
    const SECRET = "1b47061264138c4ac30d75fd1eb44270";

    test("replaces every secret value with the marker and keeps the keys", () => {
        const input = {
            kind: "Secret",
            stringData: { [SIG]: SECRET, value: { admin_token: "real-token", nested: { b: "x" } } },
            data: { plain: "visible", token: { [SIG]: SECRET, value: "real-2" } },
            list: [{ [SIG]: SECRET, value: "real-3" }, "ok"],
            dropped: undefined,
        };
        expect(redact(input)).toEqual({
            kind: "Secret",
            stringData: { admin_token: "[secret]", nested: { b: "[secret]" } },
            data: { plain: "visible", token: "[secret]" },
            list: ["[secret]", "ok"],
        });
        expect(JSON.stringify(redact(input))).not.toMatch(/real/);
    });
});

test("every problem of the stack config and the service config is reported in one run", async () => {
    const stackYaml = fs.readFileSync(`${REPO_ROOT}/Pulumi.dev.yaml`, "utf8").replace("log_level: debug", "log_level: verbose").replace("size: 1Gi", "size: big").replace("ragstar:namespace: ragstar-dev", "ragstar:namespace: ragstar-dev\n  ragstar:replicas: 2");
    const error: ConfigError = await renderStack("dev", projectWith("dev", stackYaml)).then(() => { throw new Error("expected an error"); }, (e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.problems).toEqual([
        'ragstar:storage.size: "big": not a Kubernetes quantity (e.g. 1Gi)',
        "ragstar:replicas: 2: must be 1 (or 0 to stop it): RAGstar keeps its index in one SQLite database with one writer, so a second pod would stay unready; set ragstar:database to postgres for more replicas",
        'ragstar:app.log_level: "verbose": must be equal to one of the allowed values (allowed: "debug", "info", "warning", "error") (schema src/ragstar/config.schema.json)',
    ]);
});

test("quoted numbers stay strings and bare numbers are quantities", async () => {
    const stackYaml = `${fs.readFileSync(`${REPO_ROOT}/Pulumi.dev.yaml`, "utf8").replace("cpu: 500m", "cpu: 2")}  ragstar:tmpSizeLimit: "134217728"\n`;
    const render = await renderStack("dev", projectWith("dev", stackYaml));
    expect(podSpec(render).volumes[2].emptyDir.sizeLimit).toBe("134217728");
    expect(container(render).resources.limits.cpu).toBe("2");
});

test("runAsUser 10001 reaches the image's USER through APP_UID and clears the UID waivers", async () => {
    const render = await renderStack("dev", projectWith("dev", devStackWith("  ragstar:runAsUser: 10001\n")));
    expect(podSpec(render).securityContext).toMatchObject({ runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001 });
    const annotations = find(render, "Deployment").metadata.annotations as Record<string, string>;
    expect(annotations["kube-score/ignore"]).toBe("container-image-pull-policy,deployment-replicas,deployment-strategy");
    expect(annotations).not.toHaveProperty("checkov.io/skip1");
});

test("network config opens ingress to named namespaces and egress to CIDRs", async () => {
    const network = { ingressNamespaces: ["ingress-nginx"], egress: [{ cidr: "10.96.0.0/12", ports: [{ port: 11434 }] }, { namespace: "llm", ports: [{ port: 8080 }] }] };
    const policy = find(await renderStack("dev", projectWith("dev", devStackSetting({ "ragstar:network": network }))), "NetworkPolicy");
    expect(policy.spec.ingress[0].from).toEqual([{ podSelector: {} }, { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }]);
    expect(policy.spec.egress.slice(1)).toEqual([
        { to: [{ ipBlock: { cidr: "10.96.0.0/12" } }], ports: [{ port: 11434, protocol: "TCP" }] },
        { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "llm" } } }], ports: [{ port: 8080, protocol: "TCP" }] },
    ]);
});

test("ragstar:nodeSelector and ragstar:tolerations from the stack file reach the pod template, through the program", async () => {
    const placement = {
        "ragstar:nodeSelector": { type: "kwok" },
        "ragstar:tolerations": [{ key: "kwok.x-k8s.io/node", operator: "Exists", effect: "NoSchedule" }, { key: "dedicated", value: "ragstar" }],
    };
    const render = await renderStack("dev", projectWith("dev", devStackSetting(placement)));
    expect(podSpec(render).nodeSelector).toEqual({ type: "kwok" });
    expect(podSpec(render).tolerations).toEqual([{ key: "kwok.x-k8s.io/node", operator: "Exists", effect: "NoSchedule" }, { key: "dedicated", operator: "Equal", value: "ragstar" }]);
    expect(toYaml(render.objects)).toMatch(/\n {6}nodeSelector:\n {8}type: kwok\n/);
});

describe("objects the API server would refuse, or a pod that could not start, stop the render", () => {
    const dev = () => fs.readFileSync(`${REPO_ROOT}/Pulumi.dev.yaml`, "utf8");
    const refusal = (promise: Promise<unknown>): Promise<Error> => promise.then(() => { throw new Error("expected the render to fail"); }, (e: Error) => e);

    test("a stack name that is no label value (the instance label) is refused", async () => {
        const error = await refusal(renderStack("dev_", projectWith("dev_", dev())));
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).problems).toEqual([
            "stack name: \"dev_\": is the app.kubernetes.io/instance label of every object, so it must be a label value: letters, digits, '-', '_' and '.', starting and ending with a letter or digit (or empty); rename the stack",
        ]);
    });

    test.each([
        ["data", 'ragstar:app.db_path: "data": must be an absolute path in the container'],
        ["/tmp", 'ragstar:app.db_path: "/tmp": collides with the tmp volume mounted at /tmp'],
        ["/app/config", 'ragstar:app.db_path: "/app/config": collides with the config volume mounted at /app/config'],
        ["/run/secrets/ragstar/db", 'ragstar:app.db_path: "/run/secrets/ragstar/db": overlaps the secrets volume mounted at /run/secrets/ragstar'],
    ])("a data path %s that is relative or collides with another mount is refused", async (dbPath, message) => {
        const error = await refusal(renderStack("dev", projectWith("dev", devStackSetting({ "ragstar:app": { db_path: dbPath } }))));
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).problems).toEqual([expect.stringContaining(message)]);
    });

    test("a ConfigMap over the API's 1 MiB limit is refused", async () => {
        const error = await refusal(renderStack("dev", projectWith("dev", devStackSetting({ "ragstar:app": { ollama_model: "m".repeat(1024 * 1024) } }))));
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^ragstar:app: ragstar\.yaml of 10\d{5} bytes: the ConfigMap's data must be at most 1048576 bytes \(1 MiB\)/)]);
    });

    test("EXPOSE 8000/udp does not satisfy the HTTP probe on TCP 8000", async () => {
        const dockerfile = fs.readFileSync(`${REPO_ROOT}/Dockerfile`, "utf8").replace("EXPOSE 8000", "EXPOSE 8000/udp");
        const line = dockerfile.split("\n").indexOf("EXPOSE 8000/udp") + 1;
        const error = await refusal(renderStack("dev", projectWith("dev", dev(), { Dockerfile: dockerfile })));
        expect(error).toBeInstanceOf(DockerfileError);
        expect((error as DockerfileError).line).toBe(line);
        expect(error.message).toContain("the HTTP probe targets TCP port 8000, but the stage EXPOSEs 8000 only as udp; EXPOSE 8000 (TCP) for an HTTP probe");
    });
});
