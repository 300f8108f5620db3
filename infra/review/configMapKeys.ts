/**
 * What the `no-secret-looking-configmap-keys` review rule looks at: whether a key looks like it
 * names a secret, and every mapping key inside a YAML or JSON file a ConfigMap carries.
 * Pure: imports only `yaml` (the policy pack loads it, tests/infra/policyPack.test.ts).
 */
import { parse as parseYaml } from "yaml";

const SECRET_LOOKING_KEY = /(passw(or)?d|secret|token|api[-_]?key|private[-_]?key|credential|client[-_]?secret)/i;

/** Whether `key` looks like it names a secret (password, secret, token, api key, private key, credential, client secret). */
export function looksSecret(key: string): boolean {
    return SECRET_LOOKING_KEY.test(key);
}

/** Every mapping key inside a YAML or JSON document, at any depth; none when the text does not parse. */
export function nestedKeys(text: string): string[] {
    let parsed: unknown;
    try {
        parsed = parseYaml(text);
    } catch {
        return [];
    }
    const keys: string[] = [];
    const walk = (value: unknown) => {
        if (Array.isArray(value)) value.forEach(walk);
        else if (value !== null && typeof value === "object") {
            for (const [key, inner] of Object.entries(value)) {
                keys.push(key);
                walk(inner);
            }
        }
    };
    walk(parsed);
    return keys;
}
