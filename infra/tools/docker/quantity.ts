/**
 * Kubernetes resource quantities → numbers, for running a rendered pod locally.
 * Suffixes per k8s.io/apimachinery/pkg/api/resource: binary Ki Mi Gi Ti Pi Ei (powers of
 * 1024), decimal k M G T P E (powers of 1000), m (1/1000), and exponents (1e3).
 */
const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/**
 * The value of a quantity: bytes for memory and storage, cores for cpu.
 *
 * @param quantity e.g. `512Mi`, `1Gi`, `250m`, `2`, `1e3`
 * @throws Error for text that is not a quantity
 */
export function quantityValue(quantity: string): number {
    const match = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))([KMGTPE]i|[mkMGTPE]|[eE][+-]?[0-9]+)?$/.exec(quantity);
    if (!match) throw new Error(`not a Kubernetes quantity: ${JSON.stringify(quantity)}`);
    const [, number, suffix = ""] = match;
    if (/^[eE]/.test(suffix)) return Number(number) * 10 ** Number(suffix.slice(1));
    return Number(number) * (BINARY[suffix] ?? DECIMAL[suffix]);
}
