/**
 * Stack config: one schema (zod) for every `ragstar:*` key, validated all at once so a
 * bad stack file reports every problem with its key, the value and what is allowed.
 *
 * Plain values come from `Pulumi.<stack>.yaml`; secrets (`SECRET_KEYS`: `registryPassword`
 * and the service secrets of config/serviceSecrets.ts) must be set with
 * `pulumi config set --secret` and stay Pulumi secrets (they are returned as
 * `pulumi.Output<string>` marked secret, never as plain strings).
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

import { ConfigError } from "../errors";
import { DIGEST_PINNED_REFERENCE, REGISTRY_PREFIX, REPOSITORY_PATH } from "../imageReference";
import { DEFAULT_RUN_AS_USER } from "../k8s/securityContext";
import { EXIT_MARGIN_SECONDS, MIN_GRACE_SECONDS } from "../k8s/shutdown";
import { imagePullProblems } from "./imagePull";
import { SERVICE_SECRET_KEYS, type ServiceSecretKey } from "./serviceSecrets";
import { mentioning, type ConfigProblem, type Mention } from "./problem";
import { cidrProblem } from "./cidr";
import { DATABASE_MODES, databaseModeProblems } from "./database";
import { dns1123LabelProblem, dns1123SubdomainProblem, labelKeyProblem, labelValueProblem } from "./kubernetesNames";
import { compareQuantities, parseQuantity, isPositive } from "./quantity";
import { TAINT_EFFECTS, TOLERATION_OPERATORS, tolerationProblems } from "./tolerations";
import { promotionSchema, supplyChainSchema } from "./supplyChain";

/** The Pulumi config namespace of this project (the `name` in Pulumi.yaml). */
export const CONFIG_NAMESPACE = "ragstar";

/** RFC 1123 subdomain, as Kubernetes requires for Secret names. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A string checked by one of the pure rule modules: `problem` returns what is allowed, or undefined. */
const checked = (problem: (value: string) => string | undefined) =>
    z.string().superRefine((value, ctx) => {
        const message = problem(value);
        if (message !== undefined) ctx.addIssue({ code: "custom", message });
    });

/**
 * A Kubernetes quantity greater than zero. The API server refuses negative quantities
 * everywhere and a zero claim size (pkg/apis/core/validation: ValidateNonnegativeQuantity,
 * ValidatePositiveQuantityValue); a zero cpu, memory or disk limit is accepted there but leaves
 * a container that cannot start, so zero is refused for every quantity here.
 * A bare YAML number (`cpu: 2`) is a valid quantity too; carry it as the string Kubernetes expects.
 */
const quantity = (example: string) =>
    z
        .union([z.string(), z.number()], { error: (issue) => (issue.input === undefined ? "required: expected a quantity" : `expected a quantity such as ${example} (a string or a number)`) })
        .transform(String)
        .pipe(
            z.string().superRefine((value, ctx) => {
                const parsed = parseQuantity(value);
                if (!parsed) ctx.addIssue({ code: "custom", message: `not a Kubernetes quantity (e.g. ${example})` });
                else if (!isPositive(parsed)) ctx.addIssue({ code: "custom", message: `must be greater than zero (e.g. ${example})` });
            }),
        );

const RESOURCE_NAMES = ["cpu", "memory", "ephemeral-storage"] as const;

const resourceList = z
    .object({
        cpu: quantity("250m or 1"),
        memory: quantity("512Mi"),
        "ephemeral-storage": quantity("256Mi"),
    })
    .strict();

/**
 * Requests must not exceed limits, compared exactly (1Gi = 1073741824, 1000m = 1).
 * Source: pkg/apis/core/validation/validation.go, ValidateResourceRequirements
 * ("must be less than or equal to <resource> limit").
 */
const resourceRequirements = z
    .object({ requests: resourceList, limits: resourceList })
    .strict()
    .superRefine((resources, ctx) => {
        for (const name of RESOURCE_NAMES) {
            const [request, limit] = [parseQuantity(resources.requests[name]), parseQuantity(resources.limits[name])];
            if (request && limit && compareQuantities(request, limit) > 0) {
                ctx.addIssue({
                    code: "custom",
                    path: ["requests", name],
                    message: `must be at most the limit {limit} (ragstar:resources.limits.${name}): the API server refuses requests above limits`,
                    params: mentioning({ limit: { path: ["resources", "limits", name], text: resources.limits[name] } }),
                });
            }
        }
    });

/** Namespace names: a DNS-1123 label; not `default` nor a `kube-` system namespace (the docs reserve the prefix). */
const ownNamespace = checked(dns1123LabelProblem)
    .refine((n) => n !== "default", { message: "must not be 'default': workloads get a namespace of their own with Pod Security labels" })
    .refine((n) => !n.startsWith("kube-"), {
        message: "must not start with 'kube-' (kube-system, kube-public, kube-node-lease): the prefix is reserved for Kubernetes' own namespaces, and this one would get the app's Pod Security labels",
    });

/**
 * Whether a refinement of a mapping can run: the value is a mapping, even when some of its fields
 * failed their own checks (zod skips refinements after any issue by default), so one run reports
 * the rules between the fields beside the fields' own problems.
 */
const isMapping = (payload: { value: unknown }) => payload.value !== null && typeof payload.value === "object" && !Array.isArray(payload.value);

/**
 * Label keys and values: a selector's matchLabels, a pod's nodeSelector (apimachinery
 * ValidateLabels: IsQualifiedName, IsValidLabelValue). A value that is no string is the schema's
 * type error; its key is still checked.
 */
const labels = z.record(z.string(), z.string()).superRefine((record, ctx) => {
    for (const [key, value] of Object.entries(record)) {
        const keyProblem = labelKeyProblem(key);
        if (keyProblem) ctx.addIssue({ code: "custom", path: [key], message: `the key {key} ${keyProblem}`, params: mentioning({ key: { text: JSON.stringify(key) } }) });
        const valueProblem = typeof value === "string" ? labelValueProblem(value) : undefined;
        if (valueProblem) ctx.addIssue({ code: "custom", path: [key], message: valueProblem });
    }
}, { when: isMapping });

/**
 * One pod toleration: the fields' types and enums here, the rules between them in
 * config/tolerations.ts (the API server's ValidateTolerations). `operator` defaults to `Equal`,
 * as the API server reads an empty one.
 */
const toleration = z
    .object({
        key: z.string().optional(),
        operator: z.enum(TOLERATION_OPERATORS).default("Equal"),
        value: z.string().optional(),
        effect: z.enum(TAINT_EFFECTS).optional(),
        tolerationSeconds: z.number().int().optional(),
    })
    .strict()
    .superRefine((value, ctx) => {
        for (const problem of tolerationProblems(value)) {
            const effect = { text: value.effect === undefined ? "unset" : JSON.stringify(value.effect) };
            ctx.addIssue({ code: "custom", path: [problem.field], message: problem.message, params: mentioning({ effect }) });
        }
    }, { when: isMapping });

const port = z.object({ port: z.number().int().min(1).max(65535), protocol: z.enum(["TCP", "UDP"]).default("TCP") }).strict();

/** One NetworkPolicy egress destination: an IP block (`cidr`) or the pods of a namespace (`namespace`, optionally `podLabels`), with ports. */
const egressRule = z.union([
    z
        .object({
            cidr: checked(cidrProblem),
            ports: z.array(port).min(1),
        })
        .strict(),
    z
        .object({
            namespace: checked(dns1123LabelProblem),
            podLabels: labels.optional(),
            ports: z.array(port).min(1),
        })
        .strict(),
], { error: "expected {cidr, ports} or {namespace, podLabels?, ports}" });

/**
 * A HorizontalPodAutoscaler's bounds and CPU target, as the API server validates them
 * (pkg/apis/autoscaling/validation ValidateHorizontalPodAutoscalerSpec: minReplicas ≥ 1 without the
 * HPAScaleToZero gate, maxReplicas ≥ minReplicas; a resource metric's averageUtilization > 0).
 */
const autoscaling = z
    .object({
        minReplicas: z.number().int().min(1).default(1),
        maxReplicas: z.number().int().min(1),
        /** Average CPU use the autoscaler aims at, percent of the cpu request (above 100 is allowed). */
        targetCPUUtilizationPercentage: z.number().int().min(1).default(70),
    })
    .strict()
    .refine((a) => a.maxReplicas >= a.minReplicas, { path: ["maxReplicas"], message: "must be at least minReplicas (the API server refuses a smaller maximum)" });

/** All secret keys: the registry password (image push and the managed pull Secret) and the service secrets (config/serviceSecrets.ts). */
export const SECRET_KEYS: readonly string[] = ["registryPassword", ...SERVICE_SECRET_KEYS];

const imageSchema = z
    .object({
        /** Existing digest-pinned reference: skip the build and deploy exactly this image. */
        ref: z
            .string()
            .regex(DIGEST_PINNED_REFERENCE, { message: "must be pinned by digest: REGISTRY/REPOSITORY@sha256:<64 hex> (a tag alone is not accepted)" })
            .optional(),
        /** Take the digest from another stack's `image` output (`ORGANIZATION/PROJECT/STACK`), for promotion in CI without a commit. */
        fromStack: z
            .string()
            .regex(/^[\w.-]+\/[\w.-]+\/[\w.-]+$/, { message: "expected a fully qualified stack name ORGANIZATION/PROJECT/STACK, e.g. organization/ragstar/staging" })
            .optional(),
        registry: z.string().regex(REGISTRY_PREFIX, { message: "expected a registry host[:port][/path], e.g. registry.example.com:5000/team" }).optional(),
        repository: z.string().regex(REPOSITORY_PATH, { message: "expected a lower-case repository path, e.g. ragstar" }).default("ragstar"),
        platform: z.enum(["linux/amd64", "linux/arm64"]).default("linux/amd64"),
        dockerfile: z.string().min(1).default("Dockerfile"),
        context: z.string().min(1).default("."),
        target: z.string().min(1).default("runtime"),
        /** Registry build cache: BuildKit inline cache in the pushed `REGISTRY/REPO:<stack>` image, reused by the next build. */
        buildCache: z.boolean().default(true),
        /** Registry user: for the push, and for the managed pull Secret unless `pullSecret` says otherwise. */
        username: z.string().min(1).optional(),
        /** Pull Secret: unset (managed from username + registryPassword), an existing Secret's name, or `none` (see config/imagePull.ts). */
        pullSecret: z
            .string()
            .max(253)
            .regex(DNS_SUBDOMAIN, { message: "expected the name of an existing kubernetes.io/dockerconfigjson Secret in the namespace (DNS-1123 subdomain), or none when the nodes carry registry credentials" })
            .optional(),
        /** Build arguments (ARG name → value), only ARGs the Dockerfile declares for the target; checked against it in the program. */
        buildArgs: z
            .record(
                z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: "expected an ARG name such as PYTHON_IMAGE" }),
                z.union([z.string(), z.number()], { error: "expected a string or a number" }).transform(String),
            )
            .default({}),
    })
    .strict()
    .refine((image) => [image.ref, image.fromStack, image.registry].filter((v) => v !== undefined).length === 1, {
        message: "set exactly one of image.registry (build and push here), image.ref (deploy this digest-pinned image) or image.fromStack (deploy the image another stack deployed)",
    });

/** The schema of the plain (non-secret) stack config. Exported for docs and tests. */
export const stackConfigSchema = z
    .object({
        namespace: ownNamespace,
        /** Where the index and jobs live: `sqlite` (one replica) or `postgres` (config/database.ts). */
        database: z.enum(DATABASE_MODES).default("sqlite"),
        /** Fixed replica count (default 1); 0 stops the service; above 1 only with postgres (config/database.ts). */
        replicas: z.number().int().min(0).optional(),
        /** A HorizontalPodAutoscaler instead of a fixed count; postgres only. */
        autoscaling: autoscaling.optional(),
        /** UID and GID the container runs as; must equal the Dockerfile's numeric USER. */
        runAsUser: z.number().int().min(1).max(2 ** 31 - 1).default(DEFAULT_RUN_AS_USER),
        image: imageSchema,
        resources: resourceRequirements.default({
                requests: { cpu: "100m", memory: "256Mi", "ephemeral-storage": "64Mi" },
                limits: { cpu: "1", memory: "512Mi", "ephemeral-storage": "256Mi" },
            }),
        storage: z
            .object({
                size: quantity("1Gi"),
                /** A StorageClass name (pkg/apis/core/validation ValidateClassName: a DNS-1123 subdomain). */
                storageClassName: checked(dns1123SubdomainProblem).optional(),
                // No ReadWriteMany: SQLite's WAL mode needs a local filesystem, and there is one writer anyway.
                accessMode: z.enum(["ReadWriteOnce", "ReadWriteOncePod"], { message: "must be ReadWriteOnce or ReadWriteOncePod: the service's SQLite store (WAL mode) needs a volume only one node mounts" }).default("ReadWriteOnce"),
            })
            .strict()
            .default({ size: "1Gi", accessMode: "ReadWriteOnce" }),
        /** Size limit of the disk-backed `emptyDir` at /tmp (counted against ephemeral-storage). */
        tmpSizeLimit: quantity("64Mi").default("64Mi"),
        probes: z
            .object({
                readinessPath: z.string().regex(/^\/\S*$/, { message: "must be an absolute HTTP path, e.g. /ready" }).optional(),
                allowMissingHealthcheck: z.boolean().default(false),
            })
            .strict()
            .default({ allowMissingHealthcheck: false }),
        /** Seconds between SIGTERM and SIGKILL; the service's drain and shutdown timeout are derived from it (k8s/shutdown.ts). */
        terminationGracePeriodSeconds: z.number().int().min(MIN_GRACE_SECONDS, { message: `must be at least ${MIN_GRACE_SECONDS}: the service needs 1 s to shut down and ${EXIT_MARGIN_SECONDS} s to exit inside it` }).max(3600).default(30),
        /** The pod's `nodeSelector`: node label key → value (apimachinery ValidateLabels); empty: none. */
        nodeSelector: labels.default({}),
        /** The pod's `tolerations` (see `toleration`); empty: none. */
        tolerations: z.array(toleration).default([]),
        /** NetworkPolicy: who may call the service, and where it may call out (DNS is always allowed). */
        network: z
            .object({
                /** Namespaces whose pods may reach the `http` port, besides the stack's own namespace. */
                ingressNamespaces: z.array(checked(dns1123LabelProblem)).default([]),
                /**
                 * Destinations the pod may reach besides DNS: the Ollama server and the GitHub API.
                 * Each is an IP block (`cidr`) or the pods of a namespace (`namespace`, optionally `podLabels`).
                 */
                egress: z.array(egressRule).default([]),
                /** The PostgreSQL server (ragstar:database: postgres): its address or pods and port. */
                database: egressRule.optional(),
            })
            .strict()
            .default({ ingressNamespaces: [], egress: [] }),
        /** The Kubernetes provider: the kubeconfig's current context, or YAML files written to a directory instead of a cluster. */
        kubernetes: z
            .object({
                /** Write every object as YAML under this directory (relative to the project root) instead of applying it. */
                renderYamlToDirectory: z.string().min(1).optional(),
                /** kubeconfig context to use; default the current one. */
                context: z.string().min(1).optional(),
            })
            .strict()
            .default({}),
        /** Overrides merged over the repository's ragstar.yaml (validated against the service's schema). */
        app: z.record(z.string(), z.unknown()).default({}),
        /** Signature and SBOM verification of image.ref before anything deploys (config/supplyChain.ts). */
        supplyChain: supplyChainSchema.default({ verify: false }),
        /** The repository `promote` copies a digest to for this stage (config/supplyChain.ts). */
        promotion: promotionSchema.optional(),
    })
    .strict()
    .superRefine((config, ctx) => {
        // Verification is of a digest known before the program runs: image.ref.
        if (config.supplyChain?.verify === true && config.image !== undefined && config.image.ref === undefined) {
            ctx.addIssue({ code: "custom", path: ["supplyChain", "verify"], message: "applies only to a stack that deploys image.ref: a stack that builds (image.registry) signs after its push (npm run attest), and image.fromStack's digest is not known before the program runs; promote the digest into image.ref instead" });
        }
    }, { when: isMapping });

/**
 * The validated plain config. `replicas` is the Deployment's count: the stack's, 1 when unset, and
 * undefined exactly when `autoscaling` is set (the HorizontalPodAutoscaler owns it).
 */
export type PlainStackConfig = z.infer<typeof stackConfigSchema>;

/** The validated stack config; secrets stay Pulumi secrets. */
export interface StackConfig extends PlainStackConfig {
    registryPassword?: pulumi.Output<string>;
    /** Service secrets by config key, only those that are set. */
    serviceSecrets: Partial<Record<ServiceSecretKey, pulumi.Output<string>>>;
}

/** Raw config as the engine passes it: full key (`ragstar:replicas`) → string value (JSON for objects). */
export type RawConfig = Record<string, string>;

const PLAIN_KEYS = new Set(Object.keys(stackConfigSchema.shape));

/** Whether a top-level key's schema is a string (possibly with a default), so its text is taken as is. */
function expectsText(key: string): boolean {
    let schema = (stackConfigSchema.shape as Record<string, z.ZodType>)[key];
    while (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
    return schema instanceof z.ZodString || schema instanceof z.ZodPipe;
}

/**
 * The engine passes every value as text: structured values as JSON, and a quoted "123" the
 * same as a bare 123. String-typed keys keep the text; the rest are read as JSON.
 */
function parseValue(key: string, text: string): unknown {
    if (expectsText(key)) return text;
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

/** Keys whose values a message must not repeat, e.g. a password put under `ragstar:image` by mistake. */
const SECRET_LOOKING_KEY = /passw(or)?d|token|api[-_]?key|credential|auth/i;

/** A PEM private key pasted into a plain key (e.g. supplyChain.publicKey): never repeated in a message. */
const PRIVATE_KEY_PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

function masked(value: unknown): unknown {
    if (typeof value === "string" && PRIVATE_KEY_PEM.test(value)) return "[private key]";
    if (Array.isArray(value)) return value.map(masked);
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_LOOKING_KEY.test(k) ? "[secret]" : masked(v)]));
    }
    return value;
}

/**
 * A config value as a message shows it: JSON, with every value under a secret-looking key as
 * `[secret]` and any PEM private key as `[private key]`; `(unset)` for undefined.
 */
export function describeConfigValue(value: unknown): string {
    return describe(value);
}

function describe(value: unknown): string {
    return value === undefined ? "(unset)" : JSON.stringify(masked(value));
}

function valueAt(root: Record<string, unknown>, path: PropertyKey[]): unknown {
    let current: unknown = root;
    for (const key of path) {
        if (current === null || typeof current !== "object") return undefined;
        current = (current as Record<PropertyKey, unknown>)[key];
    }
    return current;
}

const TYPE_NAMES: Record<string, string> = {
    object: "a mapping",
    record: "a mapping",
    array: "a list",
    string: "a string",
    number: "a number",
    int: "an integer",
    boolean: "a boolean (true or false)",
};

/** The keys a mapping allows, e.g. `{size, storageClassName, accessMode}`. */
function shapeOf(inst: unknown): string[] | undefined {
    return inst instanceof z.ZodObject ? Object.keys(inst.shape) : undefined;
}

function expectedType(issue: z.core.$ZodRawIssue<z.core.$ZodIssueInvalidType>): string {
    const keys = issue.expected === "object" ? shapeOf(issue.inst) : undefined;
    const name = TYPE_NAMES[issue.expected] ?? issue.expected;
    return keys ? `${name} {${keys.join(", ")}}` : name;
}

const plural = (count: number | bigint, word: string) => `${count} ${word}${Number(count) === 1 ? "" : "s"}`;

/** A size bound in words: `at least 1 item`, `at most 65535`, `greater than 0`. */
function bound(origin: string, limit: number | bigint, inclusive: boolean | undefined, least: boolean): string {
    const size = origin === "array" || origin === "set" ? "item" : origin === "string" ? "character" : undefined;
    if (size) return `must have ${least ? "at least" : "at most"} ${plural(limit, size)}`;
    if (inclusive === false) return `must be ${least ? "greater" : "less"} than ${limit}`;
    return `must be ${least ? "at least" : "at most"} ${limit}`;
}

/**
 * What is allowed, in this project's words, for zod's built-in checks (its own messages say
 * "Invalid input: expected string, received number"). Schema-level messages take precedence.
 */
export function allowedMessage(issue: z.core.$ZodRawIssue): string | undefined {
    switch (issue.code) {
        case "invalid_type":
            return issue.input === undefined ? `required: expected ${expectedType(issue)}` : `expected ${expectedType(issue)}`;
        case "invalid_value":
            return issue.values.length === 1 ? `expected ${JSON.stringify(issue.values[0])}` : `expected ${issue.values.slice(0, -1).map((v) => JSON.stringify(v)).join(", ")} or ${JSON.stringify(issue.values.at(-1))}`;
        case "too_small":
            return issue.origin === "string" && Number(issue.minimum) === 1 ? "must not be empty" : bound(issue.origin, issue.minimum, issue.inclusive, true);
        case "too_big":
            return bound(issue.origin, issue.maximum, issue.inclusive, false);
        case "unrecognized_keys": {
            const allowed = shapeOf(issue.inst);
            return `unknown key${issue.keys.length === 1 ? "" : "s"} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}${allowed ? `; allowed keys are ${allowed.join(", ")}` : ""}`;
        }
        case "invalid_key": {
            const inner = issue.issues.map((i) => i.message).join("; ");
            return `the name {name}: ${inner}`;
        }
        case "invalid_union":
            return "matches none of the allowed forms";
        default:
            return undefined;
    }
}

/**
 * A union that matches no branch says only "Invalid input": report the problems of the branch
 * the value came closest to (fewest problems), with their full paths; on a tie, the union's message.
 */
function closestBranch(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
    if (issue.code !== "invalid_union" || issue.errors.length === 0) return [issue];
    const counts = issue.errors.map((branch) => branch.length);
    const fewest = Math.min(...counts);
    if (counts.filter((count) => count === fewest).length > 1) return [issue];
    const branch = issue.errors[counts.indexOf(fewest)];
    return branch.flatMap((inner) => closestBranch({ ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue));
}

/** A zod issue as a problem: the value at its path, and the values its message mentions (see `mentioning`). */
function problemOf(issue: z.core.$ZodIssue, plain: Record<string, unknown>): ConfigProblem {
    const params = issue.code === "custom" ? (issue.params as { mentions?: Record<string, Mention> } | undefined) : undefined;
    const mentions = issue.code === "invalid_key" ? { name: { text: JSON.stringify(String(issue.path.at(-1))) } } : params?.mentions;
    return { path: issue.path, value: valueAt(plain, issue.path), message: issue.message, mentions };
}

/**
 * The one place a problem becomes a line `ragstar:<key.path>: <value>: <what is allowed>`: every
 * value it shows (at its path, or mentioned) prints `[secret]` when its top-level key is held as secret.
 */
function formatProblem(problem: ConfigProblem, secretPlainKeys: ReadonlySet<string>): string {
    const isSecret = (path: readonly PropertyKey[]) => secretPlainKeys.has(String(path[0])) || SECRET_KEYS.includes(String(path[0]));
    const shown = problem.value === undefined ? "(unset)" : isSecret(problem.path) ? "[secret]" : describe(problem.value);
    const message = problem.message.replace(/\{(\w+)\}/g, (placeholder, name: string) => {
        const mention = problem.mentions?.[name];
        if (!mention) return placeholder;
        return isSecret(mention.path ?? problem.path) ? "[secret]" : mention.text;
    });
    return `${CONFIG_NAMESPACE}:${problem.path.map(String).join(".")}: ${shown}: ${message}`;
}

/**
 * Validate the raw `ragstar:*` config of a stack.
 *
 * @param raw every config key of the stack (other namespaces are ignored)
 * @param isSecret whether the engine holds a key as a secret
 * @param source what to name in messages, e.g. `Pulumi.prod.yaml` or `stack "prod"`
 * @param checkApp further problems of the `ragstar:app` overrides (the service's schema), reported with the rest
 * @returns the typed config; secret values wrapped with `pulumi.secret`
 * @throws ConfigError listing every problem as `ragstar:<key.path>: <value>: <what is allowed>`
 */
export function parseStackConfig(
    raw: RawConfig,
    isSecret: (key: string) => boolean,
    source: string,
    checkApp: (overrides: Record<string, unknown>) => string[] = () => [],
): StackConfig {
    const problems: string[] = [];
    const plain: Record<string, unknown> = {};
    const secrets: Record<string, string> = {};
    // Plain keys the engine holds as secret: refused, and their values never go into a message.
    const secretPlainKeys = new Set<string>();
    const prefix = `${CONFIG_NAMESPACE}:`;
    for (const [fullKey, text] of Object.entries(raw)) {
        if (!fullKey.startsWith(prefix)) continue;
        const key = fullKey.slice(prefix.length);
        if (SECRET_KEYS.includes(key)) {
            if (!isSecret(fullKey)) {
                problems.push(`${fullKey}: is stored in plain text; set it with \`pulumi config set --secret ${fullKey}\` so it stays encrypted`);
            } else {
                secrets[key] = text;
            }
        } else if (PLAIN_KEYS.has(key)) {
            if (isSecret(fullKey)) {
                // The engine marks a whole structured key secret when any value inside it is; it would be used in plain text.
                problems.push(`${fullKey}: holds a secret value, but secrets are only read from ${SECRET_KEYS.map((k) => prefix + k).join(", ")}; move it there`);
                secretPlainKeys.add(key);
            }
            plain[key] = parseValue(key, text);
        } else {
            problems.push(`${fullKey}: unknown key; allowed keys are ${[...PLAIN_KEYS, ...SECRET_KEYS].map((k) => prefix + k).join(", ")}`);
        }
    }
    const result = stackConfigSchema.safeParse(plain, { error: allowedMessage });
    // Every problem that shows a value goes through `show`, so a key held as secret prints none.
    const checks: ConfigProblem[] = [];
    if (!result.success) checks.push(...result.error.issues.flatMap(closestBranch).map((issue) => problemOf(issue, plain)));
    // Checked even when other keys are invalid, so one run reports everything.
    checks.push(...databaseModeProblems(plain, (key) => secrets[key] !== undefined));
    if (result.success) checks.push(...imagePullProblems(result.data.image, secrets.registryPassword !== undefined));
    problems.push(...checks.map((problem) => formatProblem(problem, secretPlainKeys)));
    // The service's messages are text with its values in them: not run on a key held as secret.
    const app = plain.app ?? {};
    if (!secretPlainKeys.has("app") && app !== null && typeof app === "object" && !Array.isArray(app)) problems.push(...checkApp(app as Record<string, unknown>));
    if (problems.length > 0 || !result.success) throw new ConfigError(source, problems);

    const serviceSecrets: StackConfig["serviceSecrets"] = {};
    for (const key of SERVICE_SECRET_KEYS) {
        if (secrets[key] !== undefined) serviceSecrets[key] = pulumi.secret(secrets[key]);
    }
    return {
        ...result.data,
        replicas: result.data.autoscaling ? undefined : (result.data.replicas ?? 1),
        registryPassword: secrets.registryPassword === undefined ? undefined : pulumi.secret(secrets.registryPassword),
        serviceSecrets,
    };
}

/**
 * Read and validate the current stack's config from the Pulumi runtime.
 *
 * @throws ConfigError (see `parseStackConfig`)
 */
export function loadStackConfig(checkApp?: (overrides: Record<string, unknown>) => string[]): StackConfig {
    const runtime = pulumi.runtime as typeof pulumi.runtime & { isConfigSecret?: (key: string) => boolean };
    const isSecret = (key: string) => runtime.isConfigSecret?.(key) ?? false;
    return parseStackConfig(pulumi.runtime.allConfig(), isSecret, `stack "${pulumi.getStack()}"`, checkApp);
}
