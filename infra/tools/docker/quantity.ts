/**
 * Kubernetes resource quantities → numbers, for the `docker run` of a rendered pod (`--memory`,
 * `--cpus`, a tmpfs `size`). The grammar has one home, infra/config/quantity.ts (`parseQuantity`,
 * exact, as the stack config is validated with it); this only turns its exact value into a number.
 */
import { parseQuantity } from "../../config/quantity";

/**
 * The value of a quantity: bytes for memory and storage, cores for cpu; the nearest number to
 * the exact value (a quotient of two integers, rounded once when both fit a double exactly).
 *
 * @param quantity e.g. `512Mi`, `1Gi`, `250m`, `2`, `1e3`
 * @throws Error for text that is not a quantity (`parseQuantity` refuses it)
 */
export function quantityValue(quantity: string): number {
    const exact = parseQuantity(quantity);
    if (!exact) throw new Error(`not a Kubernetes quantity: ${JSON.stringify(quantity)}`);
    return Number(exact.numerator) / Number(exact.denominator);
}
