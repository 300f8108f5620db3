import * as pulumi from "@pulumi/pulumi";

import { ConfigError } from "../../infra/errors";
import { parseStackConfig, type RawConfig } from "../../infra/config/stackConfig";
import { thrown } from "./thrown";

const base: RawConfig = {
    "ragstar:namespace": "ragstar-test",
    "ragstar:image": JSON.stringify({ registry: "registry.example.com:5000" }),
};
const parse = (extra: RawConfig, secrets: string[] = []) => parseStackConfig({ ...base, ...extra }, (k) => secrets.includes(k), "Pulumi.test.yaml");
const problemsOf = (extra: RawConfig, secrets: string[] = []) => thrown(ConfigError, () => parse(extra, secrets)).problems;

const unwrap = <T>(output: pulumi.Output<T>): Promise<T> => new Promise((resolve) => output.apply(resolve));

test("defaults fill everything the stack does not set", () => {
    const config = parse({});
    expect(config).toMatchObject({
        namespace: "ragstar-test",
        database: "sqlite",
        replicas: 1,
        runAsUser: 1000,
        image: { registry: "registry.example.com:5000", repository: "ragstar", platform: "linux/amd64", target: "runtime", dockerfile: "Dockerfile", buildCache: true },
        storage: { size: "1Gi", accessMode: "ReadWriteOnce" },
        tmpSizeLimit: "64Mi",
        terminationGracePeriodSeconds: 30,
        probes: { allowMissingHealthcheck: false },
        nodeSelector: {},
        tolerations: [],
        app: {},
    });
    expect(config.resources.limits.memory).toBe("512Mi");
    expect(config.serviceSecrets).toEqual({});
});

test.each([
    [{ "ragstar:replicas": "-1" }, 'ragstar:replicas: -1: must be at least 0'],
    [{ "ragstar:storage": JSON.stringify({ size: "1Gi", accessMode: "ReadWriteMany" }) }, 'ragstar:storage.accessMode: "ReadWriteMany": must be ReadWriteOnce or ReadWriteOncePod'],
    [{ "ragstar:namespace": "Ragstar_NS" }, 'ragstar:namespace: "Ragstar_NS": must be a DNS-1123 label'],
    [{ "ragstar:namespace": "default" }, "ragstar:namespace: \"default\": must not be 'default'"],
    [{ "ragstar:tmpSizeLimit": "64MB" }, 'ragstar:tmpSizeLimit: "64MB": not a Kubernetes quantity (e.g. 64Mi)'],
    [{ "ragstar:resources": JSON.stringify({ requests: { cpu: "1", memory: "1Gi", "ephemeral-storage": "1Gi" }, limits: { cpu: "1", memory: "512X", "ephemeral-storage": "1Gi" } }) }, 'ragstar:resources.limits.memory: "512X": not a Kubernetes quantity (e.g. 512Mi)'],
    [{ "ragstar:image": JSON.stringify({ registry: "r.example.com", platform: "windows/amd64" }) }, 'ragstar:image.platform: "windows/amd64": expected "linux/amd64" or "linux/arm64"'],
    [{ "ragstar:image": JSON.stringify({ ref: "registry.example.com/ragstar:1.0" }) }, 'ragstar:image.ref: "registry.example.com/ragstar:1.0": must be pinned by digest'],
    [{ "ragstar:image": JSON.stringify({}) }, "ragstar:image: {}: set exactly one of image.registry (build and push here), image.ref (deploy this digest-pinned image) or image.fromStack"],
    [{ "ragstar:probes": JSON.stringify({ readinessPath: "ready" }) }, 'ragstar:probes.readinessPath: "ready": must be an absolute HTTP path, e.g. /ready'],
    [{ "ragstar:image": JSON.stringify({ registry: "r.example.com", ref: `r.example.com/x@sha256:${"a".repeat(64)}` }) }, "ragstar:image: "],
    [{ "ragstar:image": JSON.stringify({ fromStack: "staging" }) }, 'ragstar:image.fromStack: "staging": expected a fully qualified stack name ORGANIZATION/PROJECT/STACK'],
    [{ "ragstar:replica": "2" }, "ragstar:replica: unknown key; allowed keys are ragstar:namespace, ragstar:database, ragstar:replicas, ragstar:autoscaling"],
    [{ "ragstar:replicas": "2" }, "ragstar:replicas: 2: must be 1 (or 0 to stop it): RAGstar keeps its index in one SQLite database with one writer"],
    [{ "ragstar:adminToken": "hunter2" }, "ragstar:adminToken: is stored in plain text; set it with `pulumi config set --secret ragstar:adminToken`"],
    [{ "ragstar:image": JSON.stringify({ registry: "r.example.com", username: "ci" }) }, "ragstar:registryPassword: (unset): required because ragstar:image.username is set"],
    [{ "ragstar:image": JSON.stringify({ registry: "r.example.com", pullSecret: "Registry_Creds" }) }, 'ragstar:image.pullSecret: "Registry_Creds": expected the name of an existing kubernetes.io/dockerconfigjson Secret in the namespace (DNS-1123 subdomain), or none'],
    [{ "ragstar:image": JSON.stringify({ registry: "r.example.com", pullSecret: "ragstar-secrets" }) }, 'ragstar:image.pullSecret: "ragstar-secrets": is a Secret this stack manages; name another existing kubernetes.io/dockerconfigjson Secret'],
    [{ "ragstar:image": JSON.stringify({ registry: "r.example.com", pullSecret: "ragstar-registry" }) }, 'ragstar:image.pullSecret: "ragstar-registry": is a Secret this stack manages'],
])("%j is rejected with key, value and what is allowed", (extra, message) => {
    const problems = problemsOf(extra as RawConfig);
    expect(problems.some((p) => p.startsWith(message))).toBe(true);
});

test("every problem is reported at once, and the message names the source", () => {
    try {
        parse({ "ragstar:replicas": "-1", "ragstar:tmpSizeLimit": "big" });
        throw new Error("expected a ConfigError");
    } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).problems).toHaveLength(2);
        expect((error as Error).message.startsWith("Pulumi.test.yaml: invalid stack config:\n  - ragstar:")).toBe(true);
    }
});

test("0 replicas stops the service", () => {
    expect(parse({ "ragstar:replicas": "0" }).replicas).toBe(0);
});

test("secrets stay Pulumi secrets", async () => {
    const config = parse(
        { "ragstar:adminToken": "s3cret", "ragstar:registryPassword": "pw", "ragstar:image": JSON.stringify({ registry: "r.example.com", username: "ci" }) },
        ["ragstar:adminToken", "ragstar:registryPassword"],
    );
    expect(Object.keys(config.serviceSecrets)).toEqual(["adminToken"]);
    expect(await pulumi.isSecret(config.serviceSecrets.adminToken!)).toBe(true);
    expect(await pulumi.isSecret(config.registryPassword!)).toBe(true);
    expect(await unwrap(config.serviceSecrets.adminToken!)).toBe("s3cret");
});

test("keys of other namespaces are ignored", () => {
    expect(parse({ "kubernetes:context": "kind" }).namespace).toBe("ragstar-test");
});

test("a structured key the engine marks secret is refused: it would be used in plain text", () => {
    const problems = problemsOf({ "ragstar:app": JSON.stringify({ log_level: "info" }) }, ["ragstar:app"]);
    expect(problems).toEqual([expect.stringContaining("ragstar:app: holds a secret value, but secrets are only read from ragstar:registryPassword, ragstar:adminToken")]);
});

describe("pull credentials (ragstar:image.username, ragstar:registryPassword, ragstar:image.pullSecret)", () => {
    const ref = `registry.example.com/platform/ragstar@sha256:${"ab".repeat(32)}`;
    const withImage = (image: Record<string, unknown>, password = true) =>
        [{ "ragstar:image": JSON.stringify(image), ...(password ? { "ragstar:registryPassword": "pw" } : {}) }, password ? ["ragstar:registryPassword"] : []] as const;

    test.each([
        ["a username and password with image.ref (pull-only credentials)", { ref, username: "puller" }],
        ["a username and password with image.fromStack", { fromStack: "organization/ragstar/staging", username: "puller" }],
        ["a push username with an existing pull Secret", { registry: "r.example.com", username: "pusher", pullSecret: "team-pull" }],
        ["a push username with pullSecret none", { registry: "r.example.com", username: "pusher", pullSecret: "none" }],
    ])("accepted: %s", (_, image) => {
        const [raw, secrets] = withImage(image);
        expect(parse(raw, [...secrets]).image).toMatchObject(image);
    });

    test("pullSecret none or a name with image.ref leaves a username unused: refused in one line", () => {
        for (const pullSecret of ["none", "team-pull"]) {
            const [raw, secrets] = withImage({ ref, username: "puller", pullSecret });
            expect(problemsOf(raw, [...secrets])).toEqual([
                `ragstar:image.username: "puller": unused: without image.registry nothing is pushed, and image.pullSecret ${JSON.stringify(pullSecret)} means the pod does not pull with it; unset image.pullSecret for a managed pull Secret, or remove image.username and ragstar:registryPassword`,
            ]);
        }
    });

    test("a registry password without a username is refused", () => {
        const [raw, secrets] = withImage({ registry: "r.example.com" });
        expect(problemsOf(raw, [...secrets])).toEqual([
            "ragstar:image.username: (unset): required because ragstar:registryPassword is set (the registry user for the push and the managed pull Secret)",
        ]);
    });

    test("a password written into ragstar:image by mistake is not repeated in the error", () => {
        const canary = "canary-Zq8wX3-not-for-messages";
        const problems = problemsOf({ "ragstar:image": JSON.stringify({ registry: "r.example.com", password: canary, platform: "windows/amd64" }) });
        expect(problems.length).toBeGreaterThan(0);
        expect(problems.join("\n")).not.toContain(canary);
        expect(problems.join("\n")).toContain('"password":"[secret]"');
    });
});

describe("values the API server would refuse in the middle of `pulumi up` are refused here, one line each", () => {
    const resources = (requests: Record<string, string>, limits: Record<string, string>) => ({
        "ragstar:resources": JSON.stringify({
            requests: { cpu: "100m", memory: "256Mi", "ephemeral-storage": "64Mi", ...requests },
            limits: { cpu: "1", memory: "512Mi", "ephemeral-storage": "256Mi", ...limits },
        }),
    });
    const egress = (...rules: unknown[]) => ({ "ragstar:network": JSON.stringify({ egress: rules }) });
    const tolerations = (...items: unknown[]) => ({ "ragstar:tolerations": JSON.stringify(items) });
    const nodeSelector = (labels: unknown) => ({ "ragstar:nodeSelector": JSON.stringify(labels) });

    test.each<[string, RawConfig, string]>([
        ["requests above limits", resources({ memory: "1Gi" }, {}), 'ragstar:resources.requests.memory: "1Gi": must be at most the limit 512Mi (ragstar:resources.limits.memory): the API server refuses requests above limits'],
        ["requests above limits, compared exactly", resources({ cpu: "1001m" }, { cpu: "1" }), 'ragstar:resources.requests.cpu: "1001m": must be at most the limit 1'],
        ["requests above limits across suffixes", resources({ "ephemeral-storage": "1073741825" }, { "ephemeral-storage": "1Gi" }), 'ragstar:resources.requests.ephemeral-storage: "1073741825": must be at most the limit 1Gi'],
        ["a zero cpu limit", resources({}, { cpu: "0" }), 'ragstar:resources.limits.cpu: "0": must be greater than zero (e.g. 250m or 1)'],
        ["a negative memory request", resources({ memory: "-256Mi" }, {}), 'ragstar:resources.requests.memory: "-256Mi": must be greater than zero (e.g. 512Mi)'],
        ["a zero storage size", { "ragstar:storage": JSON.stringify({ size: "0Gi" }) }, 'ragstar:storage.size: "0Gi": must be greater than zero (e.g. 1Gi)'],
        ["a negative tmp size limit", { "ragstar:tmpSizeLimit": "-64Mi" }, 'ragstar:tmpSizeLimit: "-64Mi": must be greater than zero (e.g. 64Mi)'],
        ["a zero tmp size limit", { "ragstar:tmpSizeLimit": "0" }, 'ragstar:tmpSizeLimit: "0": must be greater than zero (e.g. 64Mi)'],
        ["a fractional exponent", { "ragstar:tmpSizeLimit": "1e1.5" }, 'ragstar:tmpSizeLimit: "1e1.5": not a Kubernetes quantity (e.g. 64Mi)'],
        ["an IPv4 prefix over 32", egress({ cidr: "10.0.0.0/33", ports: [{ port: 443 }] }), 'ragstar:network.egress.0.cidr: "10.0.0.0/33": expected a CIDR block ADDRESS/PREFIX such as 10.0.0.0/8'],
        ["an IPv6 prefix over 128", egress({ cidr: "2001:db8::/129", ports: [{ port: 443 }] }), 'ragstar:network.egress.0.cidr: "2001:db8::/129": expected a CIDR block'],
        ["an octet over 255", egress({ cidr: "10.0.0.256/32", ports: [{ port: 443 }] }), 'ragstar:network.egress.0.cidr: "10.0.0.256/32": expected a CIDR block ADDRESS/PREFIX such as 10.0.0.0/8 or 2001:db8::/32: octets 0 to 255, prefix 0 to 32 (IPv4) or 0 to 128 (IPv6), no leading zeros, no bits set after the prefix (octet 256 is over 255)'],
        ["host bits after the prefix", egress({ cidr: "10.0.0.1/8", ports: [{ port: 443 }] }), 'ragstar:network.egress.0.cidr: "10.0.0.1/8": expected a CIDR block'],
        ["an invalid podLabels key", egress({ namespace: "ollama", podLabels: { "app name": "ollama" }, ports: [{ port: 11434 }] }), 'ragstar:network.egress.0.podLabels.app name: "ollama": the key "app name" must be a label key [prefix/]name'],
        ["an invalid podLabels value", egress({ namespace: "ollama", podLabels: { app: "-ollama" }, ports: [{ port: 11434 }] }), 'ragstar:network.egress.0.podLabels.app: "-ollama": must be a label value'],
        ["a podLabels value over 63 characters", egress({ namespace: "ollama", podLabels: { app: "a".repeat(64) }, ports: [{ port: 11434 }] }), `ragstar:network.egress.0.podLabels.app: "${"a".repeat(64)}": must be a label value of at most 63 characters, got 64`],
        ["a storageClassName that is not a DNS subdomain", { "ragstar:storage": JSON.stringify({ size: "1Gi", storageClassName: "Standard_Retain" }) }, 'ragstar:storage.storageClassName: "Standard_Retain": must be a DNS-1123 subdomain'],
        ["an ingress namespace over 63 characters", { "ragstar:network": JSON.stringify({ ingressNamespaces: ["n".repeat(64)] }) }, `ragstar:network.ingressNamespaces.0: "${"n".repeat(64)}": must be at most 63 characters (a DNS-1123 label), got 64`],
        ["an egress namespace over 63 characters", egress({ namespace: "n".repeat(64), ports: [{ port: 80 }] }), `ragstar:network.egress.0.namespace: "${"n".repeat(64)}": must be at most 63 characters`],
        ["a namespace over 63 characters", { "ragstar:namespace": "n".repeat(64) }, `ragstar:namespace: "${"n".repeat(64)}": must be at most 63 characters`],
        ["kube-system as the namespace", { "ragstar:namespace": "kube-system" }, "ragstar:namespace: \"kube-system\": must not start with 'kube-' (kube-system, kube-public, kube-node-lease)"],
        ["kube-public as the namespace", { "ragstar:namespace": "kube-public" }, "ragstar:namespace: \"kube-public\": must not start with 'kube-'"],
        ["a missing namespace", { "ragstar:namespace": undefined as unknown as string }, "ragstar:namespace: (unset): required: expected a string"],
        ["a storage without its size", { "ragstar:storage": JSON.stringify({ storageClassName: "fast" }) }, "ragstar:storage.size: (unset): required: expected a quantity"],
        ["an egress entry without ports", egress({ namespace: "ollama" }), "ragstar:network.egress.0.ports: (unset): required: expected a list"],
        ["an egress entry with a bad cidr and no ports", egress({ cidr: "10.0.0.0/8/8" }), 'ragstar:network.egress.0.cidr: "10.0.0.0/8/8": expected a CIDR block'],
        ["an egress entry that is neither kind", egress({ host: "api.github.com", ports: [{ port: 443 }] }), 'ragstar:network.egress.0: {"host":"api.github.com","ports":[{"port":443}]}: expected {cidr, ports} or {namespace, podLabels?, ports}'],
        ["an egress entry that is both kinds", egress({ cidr: "10.0.0.0/8", namespace: "x", ports: [{ port: 443 }] }), "ragstar:network.egress.0: "],
        // ragstar:nodeSelector (ValidateLabels) and ragstar:tolerations (ValidateTolerations).
        ["a nodeSelector key that is no label key", nodeSelector({ "node type": "kwok" }), 'ragstar:nodeSelector.node type: "kwok": the key "node type" must be a label key [prefix/]name: the name part of letters, digits, \'-\', \'_\' and \'.\', starting and ending with a letter or digit'],
        ["a nodeSelector value that is no label value", nodeSelector({ type: "kwok node" }), "ragstar:nodeSelector.type: \"kwok node\": must be a label value: letters, digits, '-', '_' and '.', starting and ending with a letter or digit (or empty)"],
        ["a nodeSelector value that is a boolean", nodeSelector({ gpu: true }), "ragstar:nodeSelector.gpu: true: expected a string"],
        ["a nodeSelector as a list", { "ragstar:nodeSelector": JSON.stringify(["type=kwok"]) }, 'ragstar:nodeSelector: ["type=kwok"]: expected a mapping'],
        ["a toleration value with operator Exists", tolerations({ key: "kwok.x-k8s.io/node", operator: "Exists", value: "fake", effect: "NoSchedule" }), 'ragstar:tolerations.0.value: "fake": must be empty when operator is Exists (it matches every value of the key); remove it, or set operator: Equal'],
        ["a toleration without key or operator", tolerations({ effect: "NoSchedule" }), "ragstar:tolerations.0.operator: (unset): must be Exists when key is empty (an empty key with Exists matches every taint); set a key, or operator: Exists"],
        ["a toleration with an empty key and Equal", tolerations({ key: "", operator: "Equal" }), 'ragstar:tolerations.0.operator: "Equal": must be Exists when key is empty'],
        ["tolerationSeconds with NoSchedule", tolerations({ key: "dedicated", value: "ragstar", effect: "NoSchedule", tolerationSeconds: 300 }), 'ragstar:tolerations.0.tolerationSeconds: 300: is only allowed with effect NoExecute (the effect here is "NoSchedule"); remove it, or set effect: NoExecute'],
        ["tolerationSeconds without an effect", tolerations({ key: "dedicated", operator: "Exists", tolerationSeconds: 300 }), "ragstar:tolerations.0.tolerationSeconds: 300: is only allowed with effect NoExecute (the effect here is unset); remove it, or set effect: NoExecute"],
        ["a toleration key that is no qualified name", tolerations({ key: "-dedicated", operator: "Exists" }), 'ragstar:tolerations.0.key: "-dedicated": must be a label key [prefix/]name: the name part of letters, digits'],
        ["a toleration value that is no label value", tolerations({ key: "dedicated", value: "rag star" }), 'ragstar:tolerations.0.value: "rag star": must be a label value: letters, digits'],
        ["a toleration operator of a node selector", tolerations({ key: "dedicated", operator: "In", value: "ragstar" }), 'ragstar:tolerations.0.operator: "In": expected "Equal" or "Exists"'],
        ["a toleration effect that is none of the three", tolerations({ key: "dedicated", operator: "Exists", effect: "NoScheduleNoAdmit" }), 'ragstar:tolerations.0.effect: "NoScheduleNoAdmit": expected "NoSchedule", "PreferNoSchedule" or "NoExecute"'],
        ["a fractional tolerationSeconds", tolerations({ key: "dedicated", operator: "Exists", effect: "NoExecute", tolerationSeconds: 1.5 }), "ragstar:tolerations.0.tolerationSeconds: 1.5: expected an integer"],
        ["tolerationSeconds as text", tolerations({ key: "dedicated", operator: "Exists", effect: "NoExecute", tolerationSeconds: "300" }), 'ragstar:tolerations.0.tolerationSeconds: "300": expected a number'],
        ["an unknown toleration field", tolerations({ key: "dedicated", operator: "Exists", values: ["a"] }), 'ragstar:tolerations.0: {"key":"dedicated","operator":"Exists","values":["a"]}: unknown key "values"; allowed keys are key, operator, value, effect, tolerationSeconds'],
        ["tolerations as a mapping", { "ragstar:tolerations": JSON.stringify({ key: "dedicated" }) }, 'ragstar:tolerations: {"key":"dedicated"}: expected a list'],
        // Type errors and zod's other built-in checks, in this project's words.
        ["a podLabels value that is a number", egress({ namespace: "ollama", podLabels: { app: 2 }, ports: [{ port: 11434 }] }), "ragstar:network.egress.0.podLabels.app: 2: expected a string"],
        ["ragstar:image: null", { "ragstar:image": "null" }, "ragstar:image: null: expected a mapping {ref, fromStack, registry, repository, "],
        ["ragstar:storage as a string", { "ragstar:storage": "big" }, 'ragstar:storage: "big": expected a mapping {size, storageClassName, accessMode}'],
        ["replicas as text", { "ragstar:replicas": "one" }, 'ragstar:replicas: "one": expected a number'],
        ["a fractional runAsUser", { "ragstar:runAsUser": "1000.5" }, "ragstar:runAsUser: 1000.5: expected an integer"],
        ["a runAsUser of 0", { "ragstar:runAsUser": "0" }, "ragstar:runAsUser: 0: must be at least 1"],
        ["a port above 65535", egress({ cidr: "10.0.0.0/8", ports: [{ port: 70000 }] }), "ragstar:network.egress.0.ports.0.port: 70000: must be at most 65535"],
        ["an egress entry with no ports", egress({ cidr: "10.0.0.0/8", ports: [] }), "ragstar:network.egress.0.ports: []: must have at least 1 item"],
        ["a protocol that is neither", egress({ cidr: "10.0.0.0/8", ports: [{ port: 53, protocol: "SCTP" }] }), 'ragstar:network.egress.0.ports.0.protocol: "SCTP": expected "TCP" or "UDP"'],
        ["ingressNamespaces as a string", { "ragstar:network": JSON.stringify({ ingressNamespaces: "ollama" }) }, 'ragstar:network.ingressNamespaces: "ollama": expected a list'],
        ["allowMissingHealthcheck as text", { "ragstar:probes": JSON.stringify({ allowMissingHealthcheck: "yes" }) }, 'ragstar:probes.allowMissingHealthcheck: "yes": expected a boolean (true or false)'],
        ["an empty dockerfile", { "ragstar:image": JSON.stringify({ registry: "r.example.com", dockerfile: "" }) }, 'ragstar:image.dockerfile: "": must not be empty'],
        ["a build arg that is a boolean", { "ragstar:image": JSON.stringify({ registry: "r.example.com", buildArgs: { PYTHON_IMAGE: true } }) }, "ragstar:image.buildArgs.PYTHON_IMAGE: true: expected a string or a number"],
        ["a build arg name that is not an ARG name", { "ragstar:image": JSON.stringify({ registry: "r.example.com", buildArgs: { "python-image": "x" } }) }, 'ragstar:image.buildArgs.python-image: "x": the name "python-image": expected an ARG name such as PYTHON_IMAGE'],
        ["an unknown key in image", { "ragstar:image": JSON.stringify({ registry: "r.example.com", tag: "1.0" }) }, 'ragstar:image: {"registry":"r.example.com","tag":"1.0"}: unknown key "tag"; allowed keys are ref, fromStack, registry, repository,'],
        ["app as a list", { "ragstar:app": "[1]" }, "ragstar:app: [1]: expected a mapping"],
        ["kubernetes as a number", { "ragstar:kubernetes": "3" }, "ragstar:kubernetes: 3: expected a mapping {renderYamlToDirectory, context}"],
        ["a resources list without cpu", { "ragstar:resources": JSON.stringify({ requests: { memory: "1Gi", "ephemeral-storage": "1Gi" }, limits: { cpu: "1", memory: "1Gi", "ephemeral-storage": "1Gi" } }) }, "ragstar:resources.requests.cpu: (unset): required: expected a quantity"],
    ])("%s", (_, extra, message) => {
        const raw = { ...base, ...extra };
        for (const key of Object.keys(raw)) if (raw[key] === undefined) delete raw[key];
        const problems = thrown(ConfigError, () => parseStackConfig(raw, () => false, "Pulumi.test.yaml")).problems;
        expect(problems.filter((p) => p.startsWith(message))).toEqual([expect.any(String)]);
        for (const problem of problems) {
            expect(problem).not.toContain("Invalid input");
            expect(problem).not.toContain("\n");
        }
    });

    test.each<[string, RawConfig]>([
        ["requests equal to limits across suffixes", resources({ cpu: "1000m", memory: "1073741824" }, { cpu: "1", memory: "1Gi" })],
        ["a bare number and an exponent", resources({ cpu: "0.5", memory: "1e8" }, { cpu: "2", memory: "128974848" })],
        ["IPv6 blocks, a /0 and a /32", egress({ cidr: "2001:db8::/32", ports: [{ port: 443 }] }, { cidr: "::/0", ports: [{ port: 443 }] }, { cidr: "0.0.0.0/0", ports: [{ port: 53 }] }, { cidr: "203.0.113.7/32", ports: [{ port: 443 }] })],
        ["prefixed label keys and 63-character values", egress({ namespace: "ollama", podLabels: { "app.kubernetes.io/name": "ollama", "example.com/tier": "a".repeat(63), empty: "" }, ports: [{ port: 11434 }] })],
        ["a nodeSelector with a prefixed key and an empty value", nodeSelector({ "kubernetes.io/arch": "amd64", "example.com/pool": "" })],
        ["kwok's taint tolerated, every taint tolerated, NoExecute for 300 s", tolerations({ key: "kwok.x-k8s.io/node", operator: "Exists", effect: "NoSchedule" }, { operator: "Exists" }, { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 })],
        ["an empty nodeSelector and no tolerations", { ...nodeSelector({}), ...tolerations() }],
        ["a storage class with dots, a 63-character namespace", { "ragstar:storage": JSON.stringify({ size: "1Gi", storageClassName: "fast.ssd-retain" }), "ragstar:network": JSON.stringify({ ingressNamespaces: ["n".repeat(63)] }) }],
    ])("still accepted: %s", (_, extra) => {
        expect(() => parse(extra)).not.toThrow();
    });
});

describe("ragstar:nodeSelector and ragstar:tolerations", () => {
    test("each problem of a toleration is reported in the one run, beside the fields' own type and enum errors", () => {
        const problems = problemsOf({ "ragstar:tolerations": JSON.stringify([{ key: "a b", operator: "Exists", value: "x", effect: "Never", tolerationSeconds: 5 }]) });
        expect(problems).toEqual([
            'ragstar:tolerations.0.effect: "Never": expected "NoSchedule", "PreferNoSchedule" or "NoExecute"',
            expect.stringMatching(/^ragstar:tolerations\.0\.key: "a b": must be a label key /),
            'ragstar:tolerations.0.tolerationSeconds: 5: is only allowed with effect NoExecute (the effect here is "Never"); remove it, or set effect: NoExecute',
            "ragstar:tolerations.0.value: \"x\": must be empty when operator is Exists (it matches every value of the key); remove it, or set operator: Equal",
        ]);
    });

    test("a nodeSelector key is checked even when another value has the wrong type", () => {
        const problems = problemsOf({ "ragstar:nodeSelector": JSON.stringify({ "a b": "x", gpu: 1 }) });
        expect(problems).toEqual(["ragstar:nodeSelector.gpu: 1: expected a string", expect.stringMatching(/^ragstar:nodeSelector\.a b: "x": the key "a b" must be a label key /)]);
    });

    test("the operator defaults to Equal; the rest is kept as given", () => {
        const config = parse({
            "ragstar:nodeSelector": JSON.stringify({ type: "kwok" }),
            "ragstar:tolerations": JSON.stringify([{ key: "dedicated", value: "ragstar", effect: "NoSchedule" }, { operator: "Exists" }]),
        });
        expect(config.nodeSelector).toEqual({ type: "kwok" });
        expect(config.tolerations).toEqual([{ key: "dedicated", operator: "Equal", value: "ragstar", effect: "NoSchedule" }, { operator: "Exists" }]);
    });
});
