/**
 * The step after a push, in one function: the SBOM of the pushed image (syft, from the registry),
 * the digest signed and the SBOM attached as a signed attestation (cosign), and both verified back
 * with the key's public half, so a success means `promote` and the program will accept the digest.
 * Used by `npm run attest` and by the main job (infra/tools/cli/deployLocal.ts).
 */
import * as fs from "node:fs";

import { attestSbom, publicKeyOf, signImage, verifySbomAttestation, verifySignature, type SigningKey } from "./cosign";
import { publicKeyFingerprint } from "./publicKey";
import type { RegistryLogins } from "./registryAuth";
import { generateSbom, sbomPackages, type SbomPackage } from "./syft";
import { failureText, verifyImage } from "./verifyImage";

/** What was attested: the SBOM's packages, the key (public PEM and fingerprint), and whether anything was pushed. */
export interface Attested {
    packages: SbomPackage[];
    publicKeyPem: string;
    fingerprint: string;
    /** False when the digest was already signed and attested by this key: nothing was pushed. */
    pushed: boolean;
}

/**
 * SBOM, signature and attestation for `ref` (digest-pinned), verified back. Idempotent: a digest
 * already signed by the key and carrying an SBOM attestation by it is left as it is (its SBOM is
 * written to `sbomFile`), so a rerun does not change its `.sig` and `.att` tags, which copies to
 * another registry would then refuse to overwrite.
 *
 * @param sbomFile where the SPDX JSON SBOM is written (and kept)
 * @throws Error naming the step that failed: a wrong password ("decrypt"), syft's or cosign's last line
 */
export function signAndAttest(ref: string, key: SigningKey, logins: RegistryLogins, sbomFile: string): Attested {
    const publicKeyPem = publicKeyOf(key);
    const fingerprint = publicKeyFingerprint(publicKeyPem);
    if (verifySignature(ref, publicKeyPem, logins).ok) {
        const existing = verifySbomAttestation(ref, publicKeyPem, logins);
        if (existing.ok) {
            fs.writeFileSync(sbomFile, JSON.stringify(existing.sbom));
            return { packages: sbomPackages(existing.sbom), publicKeyPem, fingerprint, pushed: false };
        }
    }
    const packages = sbomPackages(generateSbom(ref, sbomFile, logins));
    signImage(ref, key, logins);
    attestSbom(ref, sbomFile, key, logins);
    const check = verifyImage(ref, publicKeyPem, logins);
    if (!check.ok) throw new Error(`signed and attested, but the check that follows failed: ${ref} ${failureText(check.failure, check.detail, publicKeyPem)}`);
    return { packages, publicKeyPem, fingerprint, pushed: true };
}

/** `12 deb, 21 pypi`: an SBOM's packages counted by purl type. */
export function packageSummary(packages: SbomPackage[]): string {
    const counts = new Map<string, number>();
    for (const p of packages) counts.set(p.type, (counts.get(p.type) ?? 0) + 1);
    return [...counts].map(([type, n]) => `${n} ${type}`).join(", ");
}
