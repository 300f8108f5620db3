/**
 * `RagstarApp`: the Kubernetes objects of one RAGstar stack, as children of one
 * ComponentResource. A thin wrapper: every value it writes was derived and validated
 * before it is called (stack config, Dockerfile facts, probes, service config), so a
 * bad input fails before the first object is registered and nothing is half-deployed.
 * The specs come from pure builders (labels, mounts, podSpec, deployment, service,
 * networkPolicy, dataClaim, configMap, secrets); the component only registers them, in a
 * fixed order, with their dependencies.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { SERVICE_SECRET_NAME } from "../config/serviceSecrets";
import type { PlainStackConfig } from "../config/stackConfig";
import { reviewWaivers } from "../review/waivers";
import { AUTOSCALER_NAME, autoscalerSpec } from "./autoscaler";
import { configMapData, configMapName } from "./configMap";
import { dataClaimSpec } from "./dataClaim";
import { DEPLOYMENT_NAME, deploymentSpec } from "./deployment";
import { DISRUPTION_BUDGET_NAME, disruptionBudgetSpec } from "./disruptionBudget";
import { commonLabels, podSecurityLabels } from "./labels";
import { networkPolicySpec } from "./networkPolicy";
import { ragstarPodSpec, type ContainerFacts } from "./podSpec";
import { customTimeouts, rolloutTimeouts } from "./rolloutTimeouts";
import { pullSecretBody, serviceSecretBody } from "./secrets";
import { serviceSpec } from "./service";

/** Inputs of `RagstarApp`; all already validated. */
export interface RagstarAppArgs extends ContainerFacts {
    /** Stack name; the `app.kubernetes.io/instance` label. */
    instance: string;
    /** Version label, e.g. the service's pyproject version. */
    version: string;
    config: Pick<PlainStackConfig, "namespace" | "database" | "replicas" | "autoscaling" | "runAsUser" | "resources" | "storage" | "tmpSizeLimit" | "terminationGracePeriodSeconds" | "nodeSelector" | "tolerations" | "network">;
    /** Digest-pinned image reference `REGISTRY/REPO@sha256:…`. */
    image: pulumi.Input<string>;
    /** The rendered ragstar.yaml and its content hash. */
    appConfig: { text: string; contentHash: string };
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
        const metadata = (objectName: pulumi.Input<string>) => ({ name: objectName, namespace: config.namespace, labels });
        // pulumi.output keeps Resources as they are (leaves); a rejected Output rejects every dependent.
        const waitFor = pulumi.output(args.waitFor ?? []);
        const child = { parent: this, dependsOn: waitFor };

        const namespace = new k8s.core.v1.Namespace(`${name}-namespace`, {
            metadata: { name: config.namespace, labels: { ...labels, ...podSecurityLabels() } },
        }, child);
        // Through namespace.urn, the namespace is among the Output's resources even while the
        // value is unknown (a preview before the build), so that edge is never lost.
        const inNamespace = { parent: this, dependsOn: pulumi.all([namespace.urn, waitFor]).apply(([, resources]) => [namespace, ...resources]) };

        const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-serviceaccount`, {
            metadata: metadata("ragstar"),
            automountServiceAccountToken: false,
        }, inNamespace);

        const configMap = new k8s.core.v1.ConfigMap(`${name}-config`, {
            metadata: metadata(configMapName(args.appConfig.contentHash)),
            data: configMapData(args.configPath, args.appConfig.text),
        }, inNamespace);

        const secretFiles = Object.keys(args.secretFiles).sort();
        const secret = secretFiles.length === 0 ? undefined : new k8s.core.v1.Secret(`${name}-secrets`, {
            metadata: metadata(SERVICE_SECRET_NAME),
            ...serviceSecretBody(secretFiles, args.secretFiles),
        }, { ...inNamespace, deleteBeforeReplace: true });

        // The kubelet's registry credentials; the pod spec names it, so a reviewer sees it in the Deployment.
        const pull = args.imagePullSecret;
        const pullSecret = pull?.dockerConfigJson === undefined ? undefined : new k8s.core.v1.Secret(`${name}-registry`, {
            metadata: metadata(pull.name),
            ...pullSecretBody(pull.dockerConfigJson),
        }, { ...inNamespace, deleteBeforeReplace: true });

        // The postgres mode keeps the index in the database: no data volume.
        const claim = config.database === "postgres" ? undefined : new k8s.core.v1.PersistentVolumeClaim(`${name}-data`, {
            metadata: metadata("ragstar-data"),
            spec: dataClaimSpec(config.storage),
        }, inNamespace);

        // The pod refers to the objects above by their name outputs, so the Deployment depends on each.
        const podSpec = ragstarPodSpec({
            instance: args.instance,
            config,
            image: args.image,
            probes: args.probes,
            containerPort: args.containerPort,
            configPath: args.configPath,
            dataPath: args.dataPath,
            secretFiles,
            objects: {
                serviceAccount: serviceAccount.metadata.name,
                configMap: configMap.metadata.name,
                dataClaim: claim?.metadata.name,
                secret: secret?.metadata.name,
                imagePullSecret: pull === undefined ? undefined : pullSecret ? pullSecret.metadata.name : pull.name,
            },
        });
        // `pulumi up` fails once the kubelet has given up on a pod that never passes its startupProbe
        // (plus the pull margin, one readiness period and, on update, the old pod's grace period:
        // rolloutTimeouts.ts), not after the provider's default 10 minutes. The Service gets the
        // same: the provider waits for it to have a ready endpoint, i.e. the same pod, and the engine
        // ends `up` only when that wait ends too. Without probes (opted out) there is no budget to
        // derive, so the provider's default stays. Not part of the manifest: rendered/ is unchanged.
        const timeouts = args.probes === null ? undefined : customTimeouts(rolloutTimeouts(args.probes, config.terminationGracePeriodSeconds, config));
        const deployment = new k8s.apps.v1.Deployment(`${name}-deployment`, {
            metadata: { ...metadata(DEPLOYMENT_NAME), annotations: reviewWaivers(config) },
            spec: deploymentSpec(args.instance, labels, config, podSpec),
        }, { ...inNamespace, customTimeouts: timeouts });

        // Several replicas (postgres mode): evictions one at a time, and the autoscaler when configured.
        const budget = disruptionBudgetSpec(args.instance, config);
        if (budget) {
            new k8s.policy.v1.PodDisruptionBudget(`${name}-disruptionbudget`, { metadata: metadata(DISRUPTION_BUDGET_NAME), spec: budget }, inNamespace);
        }
        if (config.autoscaling) {
            new k8s.autoscaling.v2.HorizontalPodAutoscaler(`${name}-autoscaler`, {
                metadata: metadata(AUTOSCALER_NAME),
                spec: autoscalerSpec(DEPLOYMENT_NAME, config.autoscaling),
            }, { ...inNamespace, dependsOn: [deployment] });
        }

        const service = new k8s.core.v1.Service(`${name}-service`, {
            metadata: metadata("ragstar"),
            spec: serviceSpec(args.instance),
        }, { ...inNamespace, customTimeouts: timeouts });

        new k8s.networking.v1.NetworkPolicy(`${name}-networkpolicy`, {
            metadata: metadata("ragstar"),
            spec: networkPolicySpec(args.instance, config.network),
        }, inNamespace);

        this.namespace = namespace.metadata.name;
        this.serviceName = service.metadata.name;
        this.deploymentName = deployment.metadata.name;
        this.image = pulumi.output(args.image);
        this.registerOutputs({ namespace: this.namespace, serviceName: this.serviceName, deploymentName: this.deploymentName, image: this.image });
    }
}
