/**
 * The one check `promote` and the program run before a digest deploys: the image is signed by the
 * configured key (a signature about this digest), and carries an SPDX SBOM attestation signed by
 * the same key. And the one wording of its failures, so both commands say the same thing.
 */
import { verifySbomAttestation, verifySignature, type VerificationFailure } from "./cosign";
import { publicKeyFingerprint } from "./publicKey";
import type { RegistryLogins } from "./registryAuth";

/** A verified image: the number of packages its SBOM lists. Or the failure. */
export type ImageVerification = { ok: true; sbomPackages: number } | { ok: false; failure: VerificationFailure; detail: string };

/** How an image is verified: cosign in production, a stand-in where a test needs one. */
export type ImageVerifier = (ref: string, publicKeyPem: string, logins: RegistryLogins) => ImageVerification;

/** Signature first (an unsigned image needs no SBOM check to be refused), then the SBOM attestation. Never throws. */
export const verifyImage: ImageVerifier = (ref, publicKeyPem, logins) => {
    const signature = verifySignature(ref, publicKeyPem, logins);
    if (!signature.ok) return signature;
    const sbom = verifySbomAttestation(ref, publicKeyPem, logins);
    if (!sbom.ok) return sbom;
    return { ok: true, sbomPackages: sbom.sbom.packages?.length ?? 0 };
};

/**
 * A failure in one line: what is wrong with the digest, in words a reviewer acts on, then cosign's
 * own line that says it.
 *
 * @param publicKeyPem a key `publicKeyProblem` accepts (the config schema checks it first)
 * @throws Error when `publicKeyPem` is not a public key
 */
export function failureText(failure: VerificationFailure, detail: string, publicKeyPem: string): string {
    const key = `key ${publicKeyFingerprint(publicKeyPem)}`;
    const reason: Record<VerificationFailure, string> = {
        unsigned: "is not signed: no signature for this digest (run npm run attest after the push)",
        "wrong-key": `is not signed by the configured ${key}: its signatures are by another key`,
        "other-image": `carries a signature made for another image: the signature names another digest (${key})`,
        "no-sbom": `is signed, but has no SBOM attestation signed by the configured ${key} (run npm run attest after the push)`,
        unreachable: "cannot be verified: the registry could not be asked",
        failed: "could not be verified (is cosign installed? scripts/with-supply-chain builds it)",
    };
    return `${reason[failure]} [cosign: ${detail}]`;
}
