/**
 * The supply-chain keys of a stack (docs/supply-chain.md):
 * - `ragstar:supplyChain`: `{verify, publicKey}`. With `verify: true` the program verifies
 *   `image.ref`'s signature and SBOM attestation with `publicKey` before it registers any
 *   resource, and `promote` into the stage verifies them before it writes the stack file.
 * - `ragstar:promotion`: `{repository}`. The `REGISTRY/REPOSITORY` that `promote` copies a digest
 *   to (with its signature and SBOM) before writing the stage's `image.ref`; unset, the stage
 *   deploys the reference of the stage before it.
 */
import { z } from "zod";

import { REGISTRY_PREFIX } from "../imageReference";
import { publicKeyProblem } from "../supplyChain/publicKey";

export const supplyChainSchema = z
    .object({
        /** Verify image.ref before deploying it (on in staging and prod). */
        verify: z.boolean().default(false),
        /** The PEM public key (`cosign public-key`) signatures and SBOM attestations must verify with. */
        publicKey: z
            .string()
            .superRefine((pem, ctx) => {
                const problem = publicKeyProblem(pem);
                if (problem) ctx.addIssue({ code: "custom", message: problem });
            })
            .optional(),
    })
    .strict()
    .refine((s) => !s.verify || s.publicKey !== undefined, { path: ["publicKey"], message: "required when verify is true: the PEM of `cosign public-key` for the key that signs this project's images" });

/** `REGISTRY/REPOSITORY` with a registry host (a dot, a port or localhost) and at least one path component. */
const TARGET_REPOSITORY = /^[^/]+\/.+$/;

export const promotionSchema = z
    .object({
        /** Where `promote` copies the digest for this stage, e.g. prod-registry.example.com/platform/ragstar. */
        repository: z
            .string()
            .regex(REGISTRY_PREFIX, { message: "expected REGISTRY/REPOSITORY, e.g. registry.example.com:5000/platform/ragstar" })
            .regex(TARGET_REPOSITORY, { message: "expected REGISTRY/REPOSITORY (a registry host, then the repository path), e.g. registry.example.com/platform/ragstar" }),
    })
    .strict();

export type SupplyChainConfig = z.infer<typeof supplyChainSchema>;
export type PromotionConfig = z.infer<typeof promotionSchema>;
