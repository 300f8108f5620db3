/**
 * The public key a stack verifies signatures with (`ragstar:supplyChain.publicKey`): checked as
 * text before cosign ever sees it, and named in output by a fingerprint, never in full.
 */
import { createHash, createPublicKey } from "node:crypto";

/** Key types cosign verifies with (pkg/signature: ECDSA, RSA, Ed25519). */
const KEY_TYPES = ["ec", "rsa", "ed25519"];

/**
 * Why `pem` is not a usable public key, or undefined when it is. A private key is refused first:
 * it would be public in a stack file.
 */
export function publicKeyProblem(pem: string): string | undefined {
    if (/PRIVATE KEY-----/.test(pem)) return "is a PRIVATE key: never put it in a stack file; give the PEM of `cosign public-key` (-----BEGIN PUBLIC KEY-----) and keep the private key out of the repository";
    if (!/^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n?$/.test(pem.trim() + "\n")) return "expected a PEM public key (-----BEGIN PUBLIC KEY----- … -----END PUBLIC KEY-----), as `cosign public-key` prints it";
    let type: string | undefined;
    try {
        type = createPublicKey(pem).asymmetricKeyType;
    } catch (error) {
        return `is not a readable public key (${(error as Error).message})`;
    }
    if (!type || !KEY_TYPES.includes(type)) return `is a ${type ?? "unknown"} key; cosign verifies ${KEY_TYPES.join(", ")} keys`;
    return undefined;
}

/**
 * `SHA256:<base64>` of the key's DER SubjectPublicKeyInfo (the form `ssh-keygen -l` uses): what
 * output names a key by.
 *
 * @throws Error when `pem` is not a public key (check `publicKeyProblem` first)
 */
export function publicKeyFingerprint(pem: string): string {
    const der = createPublicKey(pem).export({ type: "spki", format: "der" });
    return `SHA256:${createHash("sha256").update(der).digest("base64").replace(/=+$/, "")}`;
}
