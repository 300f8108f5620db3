/**
 * The ConfigMap that carries the service's ragstar.yaml, mounted as the directory of
 * RAGSTAR_CONFIG_PATH (mounts.ts).
 */
import * as path from "node:path";

/**
 * Content-addressed name: a config change creates a new ConfigMap, which changes the pod template
 * and so rolls the pods; the old one is deleted after the rollout.
 *
 * @param contentHash the first hex digits of the file's SHA-256 (see `buildAppConfig`)
 * @returns `ragstar-config-<contentHash>`
 */
export function configMapName(contentHash: string): string {
    return `ragstar-config-${contentHash}`;
}

/**
 * The ConfigMap's `data`: one key, the file name of `configPath`, so the mounted directory holds
 * the file at exactly that path.
 *
 * @param configPath absolute path of ragstar.yaml in the container
 * @param text the rendered file
 */
export function configMapData(configPath: string, text: string): Record<string, string> {
    return { [path.posix.basename(configPath)]: text };
}
