/**
 * `RagstarApp`: the Kubernetes objects of one RAGstar stack, as children of one
 * ComponentResource. A thin wrapper: every value it writes was derived and validated
 * before it is called (stack config, Dockerfile facts, probes, service config), so a
 * bad input fails before the first object is registered and nothing is half-deployed.
 */
import * as path from "node:path";

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import type { PlainStackConfig } from "../config/stackConfig";
import type { ProbeSet } from "../probes/types";
import { commonLabels, selectorLabels } from "./labels";
import { reviewWaivers } from "../review/waivers";
import { containerSecurityContext, podSecurityContext } from "./securityContext";

/** Where the Secret's files are mounted; the service reads `RAGSTAR_<KEY>_FILE` from here. */
export const SECRETS_MOUNT_PATH = "/run/secrets/ragstar";
/** Mode of the mounted secret files: owner and group (fsGroup) may read, nobody else. */
export const SECRET_FILE_MODE = 0o440;
export const CONTAINER_NAME = "ragstar";
export const CONTAINER_PORT_NAME = "http";

/** Inputs of `RagstarApp`; all already validated. */
export interface RagstarAppArgs {
    /** Stack name; the `app.kubernetes.io/instance` label. */
    instance: string;
    /** Version label, e.g. the service's pyproject version. */
    version: string;
    config: Pick<PlainStackConfig, "namespace" | "replicas" | "runAsUser" | "resources" | "storage" | "tmpSizeLimit" | "terminationGracePeriodSeconds" | "network">;
    /** Digest-pinned image reference `REGISTRY/REPO@sha256:…`. */
    image: pulumi.Input<string>;
    /** Derived probes, or null when the stack explicitly opted out. */
    probes: ProbeSet | null;
    /** Container port the service listens on (from the Dockerfile's EXPOSE). */
    containerPort: number;
    /** The rendered ragstar.yaml and its content hash. */
    appConfig: { text: string; contentHash: string };
    /** Absolute path of ragstar.yaml in the container (RAGSTAR_CONFIG_PATH). */
    configPath: string;
    /** Absolute path of the data directory in the container (RAGSTAR_DB_PATH). */
    dataPath: string;
    /** Secret file name (e.g. `admin_token`) → secret value. */
    secretFiles: Record<string, pulumi.Output<string>>;
    /**
     * The pod's `imagePullSecrets` entry: an existing Secret's name, or (with `dockerConfigJson`, a
     * Pulumi secret) a `kubernetes.io/dockerconfigjson` Secret of that name created here. Unset: none.
     */
    imagePullSecret?: { name: string; dockerConfigJson?: pulumi.Output<string> };
    /**
     * Resources every object waits for, e.g. the image build, possibly as an Output that resolves
     * only after the image reference validated: when it fails or rejects, nothing is created in the
     * cluster (no half deployment). The image reference alone would hold back only the Deployment.
     */
    waitFor?: pulumi.Input<pulumi.Resource[]>;
}

/** The component's outputs, also the stack's. */
export class RagstarApp extends pulumi.ComponentResource {
    readonly namespace: pulumi.Output<string>;
    readonly serviceName: pulumi.Output<string>;
    readonly deploymentName: pulumi.Output<string>;
    readonly image: pulumi.Output<string>;

    constructor(name: string, args: RagstarAppArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ragstar:index:RagstarApp", name, {}, opts);
        const { config } = args;
        const labels = commonLabels(args.instance, args.version);
        const metadata = (objectName: string) => ({ name: objectName, namespace: config.namespace, labels });
        // pulumi.output keeps Resources as they are (leaves); a rejected Output rejects every dependent.
        const waitFor = pulumi.output(args.waitFor ?? []);
        const child = { parent: this, dependsOn: waitFor };

        const namespace = new k8s.core.v1.Namespace(`${name}-namespace`, {
            metadata: {
                name: config.namespace,
                labels: {
                    ...labels,
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/audit": "restricted",
                    "pod-security.kubernetes.io/warn": "restricted",
                },
            },
        }, child);
        // Through namespace.urn, the namespace is among the Output's resources even while the
        // value is unknown (a preview before the build), so that edge is never lost.
        const inNamespace = { parent: this, dependsOn: pulumi.all([namespace.urn, waitFor]).apply(([, resources]) => [namespace, ...resources]) };

        const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-serviceaccount`, {
            metadata: metadata("ragstar"),
            automountServiceAccountToken: false,
        }, inNamespace);

        // Content-addressed name: a config change creates a new ConfigMap, which changes the
        // pod template and so rolls the pods; the old one is deleted after the rollout.
        const configMap = new k8s.core.v1.ConfigMap(`${name}-config`, {
            metadata: metadata(`ragstar-config-${args.appConfig.contentHash}`),
            data: { [path.posix.basename(args.configPath)]: args.appConfig.text },
        }, inNamespace);

        const secretNames = Object.keys(args.secretFiles).sort();
        const secret = secretNames.length === 0 ? undefined : new k8s.core.v1.Secret(`${name}-secrets`, {
            metadata: metadata("ragstar-secrets"),
            type: "Opaque",
            stringData: Object.fromEntries(secretNames.map((file) => [file, args.secretFiles[file]])),
        }, { ...inNamespace, deleteBeforeReplace: true });

        // The kubelet's registry credentials; the pod spec names it, so a reviewer sees it in the Deployment.
        const pull = args.imagePullSecret;
        const pullSecret = pull?.dockerConfigJson === undefined ? undefined : new k8s.core.v1.Secret(`${name}-registry`, {
            metadata: metadata(pull.name),
            type: "kubernetes.io/dockerconfigjson",
            stringData: { ".dockerconfigjson": pull.dockerConfigJson },
        }, { ...inNamespace, deleteBeforeReplace: true });
        const imagePullSecrets = pull === undefined ? [] : [{ name: pullSecret ? pullSecret.metadata.name : pull.name }];

        const claim = new k8s.core.v1.PersistentVolumeClaim(`${name}-data`, {
            metadata: metadata("ragstar-data"),
            spec: {
                accessModes: [config.storage.accessMode],
                resources: { requests: { storage: config.storage.size } },
                ...(config.storage.storageClassName ? { storageClassName: config.storage.storageClassName } : {}),
            },
        }, inNamespace);

        const env = [
            { name: "RAGSTAR_CONFIG_PATH", value: args.configPath },
            { name: "RAGSTAR_DB_PATH", value: args.dataPath },
            ...secretNames.map((file) => ({ name: `RAGSTAR_${file.toUpperCase()}_FILE`, value: `${SECRETS_MOUNT_PATH}/${file}` })),
        ];
        const volumeMounts = [
            { name: "config", mountPath: path.posix.dirname(args.configPath), readOnly: true },
            { name: "data", mountPath: args.dataPath },
            { name: "tmp", mountPath: "/tmp" },
            ...(secret ? [{ name: "secrets", mountPath: SECRETS_MOUNT_PATH, readOnly: true }] : []),
        ];
        const volumes = [
            { name: "config", configMap: { name: configMap.metadata.name } },
            { name: "data", persistentVolumeClaim: { claimName: claim.metadata.name } },
            { name: "tmp", emptyDir: { sizeLimit: config.tmpSizeLimit } },
            ...(secret ? [{ name: "secrets", secret: { secretName: secret.metadata.name, defaultMode: SECRET_FILE_MODE } }] : []),
        ];
        const probes = args.probes
            ? { livenessProbe: args.probes.livenessProbe, readinessProbe: args.probes.readinessProbe, startupProbe: args.probes.startupProbe }
            : {};
        // One SQLite writer on a volume one node mounts: stop the old pod before the new one starts.
        const strategy = { type: "Recreate" };

        const deployment = new k8s.apps.v1.Deployment(`${name}-deployment`, {
            metadata: { ...metadata("ragstar"), annotations: reviewWaivers(config) },
            spec: {
                replicas: config.replicas,
                revisionHistoryLimit: 5,
                strategy,
                selector: { matchLabels: selectorLabels(args.instance) },
                template: {
                    metadata: { labels },
                    spec: {
                        serviceAccountName: serviceAccount.metadata.name,
                        automountServiceAccountToken: false,
                        enableServiceLinks: false,
                        terminationGracePeriodSeconds: config.terminationGracePeriodSeconds,
                        securityContext: podSecurityContext(config.runAsUser),
                        ...(imagePullSecrets.length > 0 ? { imagePullSecrets } : {}),
                        containers: [{
                            name: CONTAINER_NAME,
                            image: args.image,
                            imagePullPolicy: "IfNotPresent",
                            ports: [{ name: CONTAINER_PORT_NAME, containerPort: args.containerPort, protocol: "TCP" }],
                            env,
                            resources: config.resources,
                            securityContext: containerSecurityContext(config.runAsUser),
                            ...probes,
                            volumeMounts,
                        }],
                        volumes,
                    },
                },
            },
        }, inNamespace);

        const service = new k8s.core.v1.Service(`${name}-service`, {
            metadata: metadata("ragstar"),
            spec: {
                type: "ClusterIP",
                selector: selectorLabels(args.instance),
                ports: [{ name: CONTAINER_PORT_NAME, port: 80, targetPort: CONTAINER_PORT_NAME, protocol: "TCP" }],
            },
        }, inNamespace);

        // Default deny for the pod, then: the http port from this namespace and the allowed ones;
        // DNS, and the configured destinations, out.
        new k8s.networking.v1.NetworkPolicy(`${name}-networkpolicy`, {
            metadata: metadata("ragstar"),
            spec: {
                podSelector: { matchLabels: selectorLabels(args.instance) },
                policyTypes: ["Ingress", "Egress"],
                ingress: [{
                    from: [
                        { podSelector: {} },
                        ...config.network.ingressNamespaces.map((ns) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } } })),
                    ],
                    ports: [{ port: CONTAINER_PORT_NAME, protocol: "TCP" }],
                }],
                egress: [
                    {
                        to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                        ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }],
                    },
                    ...config.network.egress.map((rule) => ({
                        to: [
                            "cidr" in rule
                                ? { ipBlock: { cidr: rule.cidr } }
                                : {
                                      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": rule.namespace } },
                                      ...(rule.podLabels ? { podSelector: { matchLabels: rule.podLabels } } : {}),
                                  },
                        ],
                        ports: rule.ports,
                    })),
                ],
            },
        }, inNamespace);

        this.namespace = namespace.metadata.name;
        this.serviceName = service.metadata.name;
        this.deploymentName = deployment.metadata.name;
        this.image = pulumi.output(args.image);
        this.registerOutputs({ namespace: this.namespace, serviceName: this.serviceName, deploymentName: this.deploymentName, image: this.image });
    }
}
