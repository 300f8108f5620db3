/**
 * The main job's supply chain (docs/supply-chain.md): the pushed digest is attested with this
 * clone's own key (SBOM, signature, attestation), copied with its signature and SBOM to the
 * release registry (the second registry scripts/main starts: RELEASE_REGISTRY,
 * RELEASE_REGISTRY_USERNAME, RELEASE_REGISTRY_PASSWORD) and verified there; the local stack then
 * deploys the release registry's reference with `ragstar:supplyChain.verify` on, so the program
 * verifies it again before it registers anything, as staging and prod do.
 */
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import type { ConfigMap } from "@pulumi/pulumi/automation";

import { parseImageReference } from "../../imageReference";
import { signAndAttest, packageSummary } from "../../supplyChain/attestImage";
import { cosignBinary, copySigned, type SigningKey } from "../../supplyChain/cosign";
import type { RegistryLogins } from "../../supplyChain/registryAuth";
import { failureText, verifyImage } from "../../supplyChain/verifyImage";

/** The release registry of scripts/main, when its variables are set. */
export function releaseRegistryFromEnv(env: NodeJS.ProcessEnv = process.env): { registry: string; username: string; password: string } | undefined {
    const { RELEASE_REGISTRY: registry, RELEASE_REGISTRY_USERNAME: username, RELEASE_REGISTRY_PASSWORD: password } = env;
    return registry && username && password ? { registry, username, password } : undefined;
}

/**
 * This clone's signing key: `cosign.key` and `cosign.pub` in `workDir` (git-ignored), made by
 * `cosign generate-key-pair` on first use with a random password kept beside it (mode 0600).
 *
 * @throws Error when cosign cannot make the pair
 */
export function localSigningKey(workDir: string): SigningKey & { publicKeyPem: string } {
    const keyFile = path.join(workDir, "cosign.key");
    const passwordFile = path.join(workDir, "cosign-password");
    if (!fs.existsSync(keyFile)) {
        fs.mkdirSync(workDir, { recursive: true });
        fs.writeFileSync(passwordFile, crypto.randomBytes(24).toString("base64url"), { mode: 0o600 });
        const made = spawnSync(cosignBinary(), ["generate-key-pair"], { cwd: workDir, encoding: "utf8", env: { PATH: process.env.PATH, HOME: workDir, COSIGN_PASSWORD: fs.readFileSync(passwordFile, "utf8") } });
        if (made.status !== 0) throw new Error(`cosign generate-key-pair in ${workDir} failed: ${(made.stderr || String(made.error)).trim().split("\n").pop()}`);
        fs.chmodSync(keyFile, 0o600);
    }
    return { privateKeyPem: fs.readFileSync(keyFile, "utf8"), password: fs.readFileSync(passwordFile, "utf8"), publicKeyPem: fs.readFileSync(path.join(workDir, "cosign.pub"), "utf8") };
}

/** What the local stack deploys after the release: the reference, and the config that verifies it and pulls it. */
export interface Release {
    ref: string;
    config: ConfigMap;
}

/**
 * The local stack config for deploying from the release registry: verification on with this
 * clone's public key, and the release registry's pull login.
 */
export function releaseConfig(publicKeyPem: string, release: { username: string; password: string }): ConfigMap {
    return {
        "ragstar:supplyChain.verify": { value: "true" },
        "ragstar:supplyChain.publicKey": { value: publicKeyPem },
        "ragstar:image.username": { value: release.username },
        "ragstar:registryPassword": { value: release.password, secret: true },
    };
}

/**
 * Attest `pushed`, copy it to the release registry (`ragstar` there), verify it there.
 *
 * @param say progress lines (stderr in the main job)
 * @throws Error naming the step that failed
 */
export function releaseImage(pushed: string, source: { username: string; password: string }, workDir: string, say: (line: string) => void): Release {
    const release = releaseRegistryFromEnv();
    if (!release) throw new Error("RELEASE_REGISTRY is not set: run through scripts/main, which starts the release registry");
    const key = localSigningKey(workDir);
    const sourceRegistry = parseImageReference(pushed).registry;
    const logins: RegistryLogins = { [sourceRegistry]: source, [release.registry]: { username: release.username, password: release.password } };
    const attested = signAndAttest(pushed, key, { [sourceRegistry]: source }, path.join(workDir, "sbom.spdx.json"));
    say(`${attested.pushed ? "attested" : "already attested"} ${pushed}: SBOM of ${attested.packages.length} packages (${packageSummary(attested.packages)}), signed with key ${attested.fingerprint}`);
    const ref = copySigned(pushed, `${release.registry}/ragstar`, logins);
    const check = verifyImage(ref, key.publicKeyPem, { [release.registry]: logins[release.registry] });
    if (!check.ok) throw new Error(`copied to the release registry, but ${ref} ${failureText(check.failure, check.detail, key.publicKeyPem)}`);
    say(`promoted to the release registry: ${ref} (digest unchanged), its signature and SBOM verified there`);
    return { ref, config: releaseConfig(key.publicKeyPem, release) };
}
