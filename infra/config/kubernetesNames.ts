/**
 * Kubernetes name, label and label-value rules, as the API server applies them. Each check
 * returns `undefined` when the value is valid, or one phrase saying what is allowed.
 *
 * Source: k8s.io/apimachinery/pkg/util/validation/validation.go (IsDNS1123Label,
 * IsDNS1123Subdomain, IsQualifiedName, IsValidLabelValue), Kubernetes v1.34. Lengths are in
 * bytes there; every allowed character is ASCII, so characters and bytes agree on valid input.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_LABEL_MAX = 63;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_SUBDOMAIN_MAX = 253;
/** IsQualifiedName's name part and IsValidLabelValue: alphanumerics, '-', '_', '.', alphanumeric at both ends. */
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const QUALIFIED_NAME_MAX = 63;
const LABEL_VALUE_MAX = 63;

/** IsDNS1123Label: namespace names, and `kubernetes.io/metadata.name` values of namespaces. */
export function dns1123LabelProblem(value: string): string | undefined {
    if (value.length > DNS1123_LABEL_MAX) return `must be at most ${DNS1123_LABEL_MAX} characters (a DNS-1123 label), got ${value.length}`;
    if (!DNS1123_LABEL.test(value)) return "must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit";
    return undefined;
}

/** IsDNS1123Subdomain: object names such as a StorageClass's. */
export function dns1123SubdomainProblem(value: string): string | undefined {
    if (value.length > DNS1123_SUBDOMAIN_MAX) return `must be at most ${DNS1123_SUBDOMAIN_MAX} characters (a DNS-1123 subdomain), got ${value.length}`;
    if (!DNS1123_SUBDOMAIN.test(value)) return "must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', each dot-separated part starting and ending with a letter or digit";
    return undefined;
}

/** IsQualifiedName: label keys, `[prefix/]name` with a DNS-1123 subdomain prefix and a name of at most 63 characters. */
export function labelKeyProblem(key: string): string | undefined {
    const parts = key.split("/");
    if (parts.length > 2) return "must be a label key [prefix/]name with at most one '/'";
    const name = parts[parts.length - 1];
    if (parts.length === 2) {
        if (parts[0].length === 0) return "must be a label key [prefix/]name: the prefix before '/' must not be empty";
        const prefix = dns1123SubdomainProblem(parts[0]);
        if (prefix) return `must be a label key [prefix/]name; its prefix ${prefix}`;
    }
    if (name.length === 0) return "must be a label key [prefix/]name with a non-empty name";
    if (name.length > QUALIFIED_NAME_MAX) return `must be a label key whose name part is at most ${QUALIFIED_NAME_MAX} characters, got ${name.length}`;
    if (!QUALIFIED_NAME.test(name)) return "must be a label key [prefix/]name: the name part of letters, digits, '-', '_' and '.', starting and ending with a letter or digit";
    return undefined;
}

/** IsValidLabelValue: empty, or at most 63 characters of letters, digits, '-', '_', '.', alphanumeric at both ends. */
export function labelValueProblem(value: string): string | undefined {
    if (value.length > LABEL_VALUE_MAX) return `must be a label value of at most ${LABEL_VALUE_MAX} characters, got ${value.length}`;
    if (value !== "" && !QUALIFIED_NAME.test(value)) return "must be a label value: letters, digits, '-', '_' and '.', starting and ending with a letter or digit (or empty)";
    return undefined;
}
