/**
 * `pulumi up` of a stack on a cluster that, when the Deployment's rollout fails, explains why:
 * the engine's error (the provider's `'ragstar' timed out waiting to be Ready` and its pod
 * conditions) followed by the diagnosis of podFacts.ts (the failing probe, the pod's last events
 * and log lines). Used by `npm run local -- up --target cluster` and the real-node tests.
 */
import type { Stack, UpOptions, UpResult } from "@pulumi/pulumi/automation";

import { DEPLOYMENT_NAME } from "../../k8s/deployment";
import { diagnoseRollout } from "./podFacts";

/** A failed `up` whose failing resource was the Deployment: the engine's message, then the diagnosis. */
export class RolloutFailure extends Error {
    constructor(readonly engineMessage: string, readonly diagnosis: string) {
        super(`${engineMessage.trimEnd()}\n\n${diagnosis}`);
        this.name = "RolloutFailure";
    }
}

/** The Deployment's resource type in an engine error (its URN ends `…$kubernetes:apps/v1:Deployment::NAME`). */
const DEPLOYMENT_TYPE = "kubernetes:apps/v1:Deployment";

/**
 * Run `stack.up(options)`. When it fails and the engine's message names the Deployment, read the
 * Deployment's pods in the stack's namespace (`ragstar:namespace`) and throw a `RolloutFailure`;
 * any other failure is rethrown as it is.
 *
 * @throws RolloutFailure, or the engine's error
 */
export async function upWithRolloutDiagnosis(stack: Stack, options: UpOptions = {}): Promise<UpResult> {
    try {
        return await stack.up(options);
    } catch (error) {
        const message = String((error as Error)?.message ?? error);
        if (!message.includes(DEPLOYMENT_TYPE)) throw error;
        const namespace = (await stack.getConfig("ragstar:namespace")).value;
        throw new RolloutFailure(message, diagnoseRollout(namespace, DEPLOYMENT_NAME));
    }
}
