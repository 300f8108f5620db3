/**
 * The signing key of the step after a push (`npm run attest`): a cosign private key file named in
 * the environment, never a value in the repository or a stack file.
 */
import * as fs from "node:fs";

import type { SigningKey } from "./cosign";

/** The signing key the environment names. @throws Error naming the variable and what is expected */
export function signingKeyFromEnv(env: NodeJS.ProcessEnv = process.env): SigningKey {
    const file = env.RAGSTAR_SIGNING_KEY_FILE;
    if (!file) throw new Error("RAGSTAR_SIGNING_KEY_FILE is not set: name the cosign private key file (cosign generate-key-pair writes cosign.key)");
    if (env.COSIGN_PASSWORD === undefined) throw new Error("COSIGN_PASSWORD is not set: the password of the key in RAGSTAR_SIGNING_KEY_FILE (empty for an unencrypted key)");
    let pem: string;
    try {
        pem = fs.readFileSync(file, "utf8");
    } catch (error) {
        throw new Error(`RAGSTAR_SIGNING_KEY_FILE=${file}: cannot read it (${(error as NodeJS.ErrnoException).code})`);
    }
    if (!/-----BEGIN ENCRYPTED (SIGSTORE|COSIGN) PRIVATE KEY-----/.test(pem)) throw new Error(`RAGSTAR_SIGNING_KEY_FILE=${file}: not a cosign private key (expected -----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----, as cosign generate-key-pair writes)`);
    return { privateKeyPem: pem, password: env.COSIGN_PASSWORD };
}

