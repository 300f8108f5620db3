/**
 * The RAGstar policy pack for the Pulumi engine: `pulumi preview --policy-pack policy`.
 * Each rule of infra/review/rules.ts becomes one resource validation policy over Kubernetes
 * resources, with the rule's enforcement level.
 */
import { PolicyPack, type ResourceValidationPolicy } from "@pulumi/policy";

import { RULES } from "../infra/review/rules";

const policies: ResourceValidationPolicy[] = RULES.map((rule) => ({
    name: rule.name,
    description: rule.description,
    enforcementLevel: rule.enforcement,
    validateResource: (args, reportViolation) => {
        if (!args.type.startsWith("kubernetes:")) return;
        for (const message of rule.check(args.props)) reportViolation(message);
    },
}));

new PolicyPack("ragstar", { policies });
