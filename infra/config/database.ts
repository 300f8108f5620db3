/**
 * `ragstar:database`: where the service keeps its index and jobs, and the rules between that
 * choice and the keys it governs (replicas, autoscaling, storage, the database's egress and the
 * `ragstar:databaseUrl` secret). One home for "what each mode allows"; docs/database.md explains
 * the two modes.
 *
 * - `sqlite` (the default): one SQLite database with one writer (a lock file) on a volume only one
 *   node mounts, so one replica (or 0 to stop it), the Recreate strategy and a data claim.
 * - `postgres`: the index and the jobs live in PostgreSQL (the service's PostgresStore: jobs claimed
 *   with `FOR UPDATE SKIP LOCKED` and leased), so any number of replicas, rolling updates, a
 *   PodDisruptionBudget, spread and an optional HorizontalPodAutoscaler; no data claim.
 */
import type { ConfigProblem } from "./problem";

/** The two modes of `ragstar:database`. */
export const DATABASE_MODES = ["sqlite", "postgres"] as const;
export type DatabaseMode = (typeof DATABASE_MODES)[number];

/** The config key of the PostgreSQL URL (a service secret, config/serviceSecrets.ts). */
export const DATABASE_URL_KEY = "databaseUrl";

/** `ragstar:autoscaling` as validated: a HorizontalPodAutoscaler's bounds and CPU target. */
export interface Autoscaling {
    /** Fewest replicas, ≥ 1. */
    minReplicas: number;
    /** Most replicas, ≥ minReplicas. */
    maxReplicas: number;
    /** Target average CPU use, percent of the container's cpu request (may exceed 100). */
    targetCPUUtilizationPercentage: number;
}

/** What the object builders need to know about the mode. */
export interface ReplicaConfig {
    database: DatabaseMode;
    /** Fixed replica count; undefined when the autoscaler owns it. */
    replicas?: number;
    autoscaling?: Autoscaling;
}

/**
 * The most replicas that can run at once: the autoscaler's maximum, else the fixed count.
 * A PodDisruptionBudget is worth having only above 1 (`disruptionBudgetSpec`), and a rolling
 * update replaces that many pods one by one (`rolloutTimeouts`).
 */
export function replicaCeiling(config: ReplicaConfig): number {
    return config.autoscaling?.maxReplicas ?? config.replicas ?? 1;
}

const isPresent = (value: unknown) => value !== undefined;

/**
 * The secret keys a mode needs: `databaseUrl` for postgres, none for sqlite (or an invalid mode).
 * Stack files carry secrets only as ciphertext of their own stack, so the engine-free render
 * assumes these set (`[secret]`) when a stack file lacks them (tools/render/render.ts).
 *
 * @param database the raw `ragstar:database` value
 */
export function requiredSecretKeys(database: unknown): string[] {
    return database === "postgres" ? [DATABASE_URL_KEY] : [];
}

/**
 * The problems of the keys `ragstar:database` governs, checked on the raw values (before or
 * beside the schema's own checks) so one run reports everything. Nothing is reported when
 * `database` itself is invalid: the schema says what it allows.
 *
 * @param plain the plain `ragstar:*` values by key (without the namespace), as parsed from the stack
 * @param secretSet whether a secret key (e.g. `databaseUrl`) is set
 * @returns one problem per key that the mode refuses or needs
 */
export function databaseModeProblems(plain: Record<string, unknown>, secretSet: (key: string) => boolean): ConfigProblem[] {
    const mode = plain.database ?? "sqlite";
    const network = plain.network !== null && typeof plain.network === "object" ? (plain.network as Record<string, unknown>) : {};
    const problems: ConfigProblem[] = [];
    if (mode === "sqlite") {
        const replicas = plain.replicas;
        if (typeof replicas === "number" && replicas > 1) {
            problems.push({ path: ["replicas"], value: replicas, message: "must be 1 (or 0 to stop it): RAGstar keeps its index in one SQLite database with one writer, so a second pod would stay unready; set ragstar:database to postgres for more replicas" });
        }
        if (isPresent(plain.autoscaling)) {
            problems.push({ path: ["autoscaling"], value: plain.autoscaling, message: "needs ragstar:database: postgres: with SQLite there is one writer, so one replica" });
        }
        if (isPresent(network.database)) {
            problems.push({ path: ["network", "database"], value: network.database, message: "is the PostgreSQL server's address for ragstar:database: postgres; SQLite needs none, so remove it" });
        }
        if (secretSet(DATABASE_URL_KEY)) {
            // The value only marks it as set: the formatter prints a secret key's value as [secret].
            problems.push({ path: [DATABASE_URL_KEY], value: "set", message: "is set, but ragstar:database is sqlite: the service would use PostgreSQL while the Deployment is built for one SQLite writer; set ragstar:database: postgres, or remove it with `pulumi config rm ragstar:databaseUrl`" });
        }
    } else if (mode === "postgres") {
        if (isPresent(plain.storage)) {
            problems.push({ path: ["storage"], value: plain.storage, message: "must not be set with ragstar:database: postgres: the index lives in the database, so the pods have no data volume" });
        }
        if (isPresent(plain.replicas) && isPresent(plain.autoscaling)) {
            problems.push({ path: ["replicas"], value: plain.replicas, message: "must not be set beside ragstar:autoscaling: the HorizontalPodAutoscaler owns the replica count (the Deployment leaves it out)" });
        }
        if (!secretSet(DATABASE_URL_KEY)) {
            problems.push({ path: [DATABASE_URL_KEY], value: undefined, message: "required with ragstar:database: postgres: set it with `pulumi config set --secret ragstar:databaseUrl postgresql://USER:PASSWORD@HOST:5432/DB`" });
        }
        if (!isPresent(network.database)) {
            problems.push({ path: ["network", "database"], value: undefined, message: "required with ragstar:database: postgres: the database's address ({cidr, ports}) or pods ({namespace, podLabels?, ports}), which the NetworkPolicy lets the pods reach" });
        }
    }
    return problems;
}
