/**
 * Engine-free render: run the real Pulumi program in-process under
 * `pulumi.runtime.setMocks` with a stack file's config, and collect every Kubernetes
 * object it declares. No Pulumi CLI, cluster or registry is involved; the image digest
 * that no registry could give is a deterministic placeholder (see `placeholderDigest`).
 */
import * as crypto from "node:crypto";
import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";

import type { KubernetesObject } from "../../k8s/kubernetesObject";
import { CONFIG_NAMESPACE } from "../../config/stackConfig";
import { requiredSecretKeys } from "../../config/database";
import { ROOT_DIR } from "../../paths";
import { ragstarProgram, type RagstarOutputs } from "../../program";
import { readStackFile, SECRET_MARKER, type StackFileConfig } from "./stackFile";

/** Result of a render: the objects in apply order and the stack outputs. */
export interface Render {
    stack: string;
    /** Where the image reference came from: a (mocked) build, a (mocked) StackReference, or the stack file's ref. */
    imageSource: "built" | "stack-reference" | "ref";
    objects: KubernetesObject[];
    outputs: { image: string; namespace: string; serviceName: string; probes: RagstarOutputs["probes"] };
}

/** Apply order: things others refer to first (the order Helm installs kinds in). */
const KIND_ORDER = ["Namespace", "NetworkPolicy", "ServiceAccount", "Secret", "ConfigMap", "PersistentVolumeClaim", "Service", "Deployment", "PodDisruptionBudget", "HorizontalPodAutoscaler"];

/** Pulumi's marker for a secret value inside mock inputs (`@pulumi/pulumi/runtime/rpc`). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/**
 * The digest a render uses in place of a registry's answer: `sha256(<text>)` where the text
 * says it is a placeholder for that image, so the same stack always renders the same bytes.
 */
export function placeholderDigest(imageName: string): string {
    const repository = imageName.replace(/:[^/:]*$/, "");
    const hex = crypto.createHash("sha256").update(`ragstar-deploy render placeholder: no registry was contacted for ${imageName}`).digest("hex");
    return `${repository}@sha256:${hex}`;
}

/** Every leaf becomes the marker; keys stay, since they say which secrets exist, not what they are. */
function maskLeaves(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(maskLeaves);
    if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskLeaves(v)]));
    return SECRET_MARKER;
}

/**
 * Replace Pulumi secret wrappers (as mocks receive them) with the marker and drop undefined
 * fields. A second line of defence: the render never decrypts, so stack-file secrets are
 * markers already, but a secret the program derives (e.g. from another secret) is caught here.
 */
export function redact(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(redact);
    if (value !== null && typeof value === "object") {
        const record = value as Record<string, unknown>;
        if (record[SIG_KEY] === SECRET_SIG) return maskLeaves(redact(record.value));
        return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined).map(([k, v]) => [k, redact(v)]));
    }
    return value;
}

function outputValue<T>(output: pulumi.Input<T>): Promise<T> {
    return new Promise((resolve) => pulumi.output(output).apply((v) => resolve(v as T)));
}

/**
 * Render one stack.
 *
 * @param stack stack name; its config is read from `<rootDir>/Pulumi.<stack>.yaml` unless `stackFile` names another file
 * @throws ConfigError or DockerfileError from the program, before any object exists
 */
export async function renderStack(stack: string, rootDir: string = ROOT_DIR, stackFile: string = path.join(rootDir, `Pulumi.${stack}.yaml`)): Promise<Render> {
    return renderConfig(stack, rootDir, withRequiredSecrets(readStackFile(stackFile, CONFIG_NAMESPACE)));
}

/**
 * The stack file's config with every secret its database mode needs (`requiredSecretKeys`) set to
 * the marker when the file lacks it: a team sets those per stack (`pulumi config set --secret`),
 * and a secret's value never shows in a render anyway. The program still refuses a stack that
 * lacks one under the engine.
 */
export function withRequiredSecrets({ config, secretKeys }: StackFileConfig): StackFileConfig {
    const missing = requiredSecretKeys(config[`${CONFIG_NAMESPACE}:database`])
        .map((key) => `${CONFIG_NAMESPACE}:${key}`)
        .filter((key) => config[key] === undefined);
    return { config: { ...config, ...Object.fromEntries(missing.map((key) => [key, SECRET_MARKER])) }, secretKeys: [...secretKeys, ...missing] };
}

/**
 * Render one stack from config as the engine passes it (full key → text, secrets decrypted and
 * listed in `secretKeys`). `renderStack` feeds it a stack file's config with every secret as
 * `[secret]`; tests feed real secret values to follow them through the program as the engine
 * would, and the objects still carry them only as `[secret]` (see `redact`).
 *
 * @throws ConfigError or DockerfileError from the program, before any object exists
 */
export async function renderConfig(stack: string, rootDir: string, { config, secretKeys }: StackFileConfig): Promise<Render> {
    pulumi.runtime.setAllConfig(config, secretKeys);

    const objects: KubernetesObject[] = [];
    let imageSource: Render["imageSource"] = "ref";
    await pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs) {
                const state: Record<string, unknown> = { ...args.inputs };
                if (args.type === "docker:index/image:Image") {
                    state.repoDigest = placeholderDigest(String(args.inputs.imageName));
                    imageSource = "built";
                }
                if (args.type === "pulumi:pulumi:StackReference") {
                    // No backend to ask: the other stack's image output is a placeholder too.
                    state.outputs = { image: placeholderDigest(`stack-reference.invalid/${String(args.inputs.name)}:latest`) };
                    imageSource = "stack-reference";
                }
                if (args.type.startsWith("kubernetes:")) objects.push(redact(args.inputs) as KubernetesObject);
                return { id: `${args.name}-id`, state };
            },
            call(args: pulumi.runtime.MockCallArgs) {
                return args.inputs;
            },
        },
        "ragstar",
        stack,
        false,
    );
    // Engine-free and registry-free: a stack that verifies its image (ragstar:supplyChain.verify) is
    // rendered without the check, which `promote` and `pulumi up` run.
    const outputs = ragstarProgram(rootDir, { verifier: false });
    const [image, namespace, serviceName] = await Promise.all([outputValue(outputs.image), outputValue(outputs.namespace), outputValue(outputs.serviceName)]);
    // Wait until every registration has reached the mocks.
    const settings = (await import("@pulumi/pulumi/runtime/settings")) as unknown as { waitForRPCs(): Promise<void> };
    await settings.waitForRPCs();

    objects.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.metadata.name.localeCompare(b.metadata.name));
    return { stack, imageSource, objects, outputs: { image: redact(image) as string, namespace, serviceName, probes: outputs.probes } };
}

/** File name of an object in `--out DIR`: `<kind>-<name>.yaml`, lower-case kind. */
export function objectFileName(object: KubernetesObject): string {
    return `${object.kind.toLowerCase()}-${object.metadata.name}.yaml`;
}

/** First lines of every render, on stdout and in each `--out` file: what is not real in it. */
export function renderHeader(render: Pick<Render, "stack" | "imageSource">, count: number): string {
    const image =
        render.imageSource === "built"
            ? "The image digest is a render placeholder: this stack builds its image and no registry was contacted."
            : render.imageSource === "stack-reference"
              ? "The image digest is a render placeholder: it comes from another stack's output, which a render cannot read."
              : "The image is the digest-pinned ragstar:image.ref of the stack file.";
    return `# stack ${render.stack}: ${count} object${count === 1 ? "" : "s"} rendered by RAGstar deploy without the Pulumi engine.\n# ${image} Secrets print as [secret].\n`;
}

/** Multi-document YAML of the objects, keys in the order the program wrote them. */
export function toYaml(objects: KubernetesObject[]): string {
    return objects.map((object) => stringify(object, { lineWidth: 0 })).join("---\n");
}

/** The `--out` files of a render: file name → contents (header included), one object each. */
export function objectFiles(render: Render): Record<string, string> {
    return Object.fromEntries(render.objects.map((object) => [objectFileName(object), renderHeader(render, 1) + toYaml([object])]));
}
