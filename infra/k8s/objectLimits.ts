/**
 * Limits the API server applies to whole objects, checked before anything is declared.
 */

/**
 * Most bytes a ConfigMap's `data` and `binaryData` values may hold together (keys are not
 * counted). Source: pkg/apis/core/validation/validation.go, ValidateConfigMap
 * (`totalSize > core.MaxSecretSize`, 1 MiB = 1048576 bytes), Kubernetes v1.34.
 */
export const CONFIGMAP_MAX_BYTES = 1024 * 1024;

/**
 * Why a ConfigMap's data is too large, or undefined.
 *
 * @param data file name → text; counted as UTF-8 bytes, as Go's `len` of a string counts
 * @returns "N bytes: must be at most 1048576 bytes …"
 */
export function configMapSizeProblem(data: Record<string, string>): string | undefined {
    const bytes = Object.values(data).reduce((sum, text) => sum + Buffer.byteLength(text, "utf8"), 0);
    if (bytes <= CONFIGMAP_MAX_BYTES) return undefined;
    return `${bytes} bytes: the ConfigMap's data must be at most ${CONFIGMAP_MAX_BYTES} bytes (1 MiB), the API server's limit`;
}
