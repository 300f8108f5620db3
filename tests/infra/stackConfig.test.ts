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
        replicas: 1,
        runAsUser: 1000,
        image: { registry: "registry.example.com:5000", repository: "ragstar", platform: "linux/amd64", target: "runtime", dockerfile: "Dockerfile", buildCache: true },
        storage: { size: "1Gi", accessMode: "ReadWriteOnce" },
        tmpSizeLimit: "64Mi",
        terminationGracePeriodSeconds: 30,
        probes: { allowMissingHealthcheck: false },
        app: {},
    });
    expect(config.resources.limits.memory).toBe("512Mi");
    expect(config.serviceSecrets).toEqual({});
});

test.each([
    [{ "ragstar:replicas": "-1" }, 'ragstar:replicas: -1: Too small: expected number to be >=0'],
    [{ "ragstar:storage": JSON.stringify({ size: "1Gi", accessMode: "ReadWriteMany" }) }, 'ragstar:storage.accessMode: "ReadWriteMany": must be ReadWriteOnce or ReadWriteOncePod'],
    [{ "ragstar:namespace": "Ragstar_NS" }, 'ragstar:namespace: "Ragstar_NS": must be a DNS-1123 label'],
    [{ "ragstar:namespace": "default" }, "ragstar:namespace: \"default\": must not be 'default'"],
    [{ "ragstar:tmpSizeLimit": "64MB" }, 'ragstar:tmpSizeLimit: "64MB": not a Kubernetes quantity (e.g. 64Mi)'],
    [{ "ragstar:resources": JSON.stringify({ requests: { cpu: "1", memory: "1Gi", "ephemeral-storage": "1Gi" }, limits: { cpu: "1", memory: "512X", "ephemeral-storage": "1Gi" } }) }, 'ragstar:resources.limits.memory: "512X": not a Kubernetes quantity (e.g. 512Mi)'],
    [{ "ragstar:image": JSON.stringify({ registry: "r.example.com", platform: "windows/amd64" }) }, 'ragstar:image.platform: "windows/amd64": Invalid option: expected one of "linux/amd64"|"linux/arm64"'],
    [{ "ragstar:image": JSON.stringify({ ref: "registry.example.com/ragstar:1.0" }) }, 'ragstar:image.ref: "registry.example.com/ragstar:1.0": must be pinned by digest'],
    [{ "ragstar:image": JSON.stringify({}) }, "ragstar:image: {}: set exactly one of image.registry (build and push here), image.ref (deploy this digest-pinned image) or image.fromStack"],
    [{ "ragstar:probes": JSON.stringify({ readinessPath: "ready" }) }, 'ragstar:probes.readinessPath: "ready": must be an absolute HTTP path, e.g. /ready'],
    [{ "ragstar:image": JSON.stringify({ registry: "r.example.com", ref: `r.example.com/x@sha256:${"a".repeat(64)}` }) }, "ragstar:image: "],
    [{ "ragstar:image": JSON.stringify({ fromStack: "staging" }) }, 'ragstar:image.fromStack: "staging": expected a fully qualified stack name ORGANIZATION/PROJECT/STACK'],
    [{ "ragstar:replica": "2" }, "ragstar:replica: unknown key; allowed keys are ragstar:namespace, ragstar:replicas"],
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
