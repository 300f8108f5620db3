/**
 * The config and secret files as a real kubelet materialises them (atomic writer: the file is a
 * symlink into `..data/`, its mode from the volume's `defaultMode`, its group the pod's fsGroup,
 * pkg/volume/util/atomic_writer.go and pkg/volume/volume_linux.go): readable by the app (UID and
 * GID 1000), secret files not readable by others, and both mounts read-only (EROFS), seen from
 * inside the container with `os.stat`, which follows the `..data` symlink.
 *
 * EROFS on these two mounts does not depend on the program's `readOnly: true`: the kubelet mounts
 * every volume whose plugin says it is read-only (secret, configMap, downwardAPI, projected) so,
 * whatever the volumeMount says (pkg/kubelet/kubelet_pods.go makeMounts: `ReadOnly: mount.ReadOnly
 * || mustMountRO`). Observed here too: with `readOnly` removed from both mounts the EROFS checks
 * still pass. The program's flag is therefore checked on the pod spec, separately.
 */
import { SECRET_FILE_MODE, SECRETS_MOUNT_PATH } from "../../infra/k8s/mounts";
import { kubectlJson, nodeFacts, openTestStack, pushedImage, ragstarPod, type TestStack } from "../../infra/tools/node/nodeCluster";
import { execPython } from "./lib/pods";

const NAMESPACE = "ragstar-node-mounts";
const EROFS = 30;
let deployed: TestStack;
let pod: any;

/** What the container sees of one mounted file. */
interface FileView {
    /** The path is a symlink (into ..data). */
    link: boolean;
    /** realpath of the file. */
    real: string;
    /** st_mode & 0o7777 of the file the link points to. */
    mode: number;
    uid: number;
    gid: number;
    /** Its content, read by the app's user. */
    content: string;
    /** errno of open(path, "w"), of creating a file beside it and of chmod(path, 0o666); null when it succeeded. */
    writeErrno: number | null;
    createErrno: number | null;
    chmodErrno: number | null;
    /** Mount options (mountinfo field 6) of the mount point the file lives under. */
    mountOptions: string[];
}

const VIEW = (file: string, mountPoint: string) => `
import json, os, errno
p = ${JSON.stringify(file)}
def attempt(f):
    try:
        f()
        return None
    except OSError as e:
        return e.errno
st = os.stat(p)
options = [line.split()[5].split(",") for line in open("/proc/self/mountinfo") if line.split()[4] == ${JSON.stringify(mountPoint)}]
print(json.dumps({
    "link": os.path.islink(p), "real": os.path.realpath(p), "mode": st.st_mode & 0o7777, "uid": st.st_uid, "gid": st.st_gid,
    "content": open(p).read(),
    "writeErrno": attempt(lambda: open(p, "w").close()),
    "createErrno": attempt(lambda: open(os.path.join(os.path.dirname(p), "probe"), "w").close()),
    "chmodErrno": attempt(lambda: os.chmod(p, 0o666)),
    "mountOptions": options[-1] if options else [],
}))`;

function view(file: string, mountPoint: string): FileView {
    return JSON.parse(execPython(NAMESPACE, pod.metadata.name, VIEW(file, mountPoint)));
}

/** The pod's volume named `name` and the container's mount of it. */
function volume(name: string): { source: any; mount: any } {
    return { source: pod.spec.volumes.find((v: any) => v.name === name), mount: pod.spec.containers[0].volumeMounts.find((m: any) => m.name === name) };
}

beforeAll(async () => {
    nodeFacts();
    deployed = await openTestStack(NAMESPACE, pushedImage());
    const up = await deployed.stack.up();
    expect(up.summary.result).toBe("succeeded");
    pod = ragstarPod(NAMESPACE);
});

afterAll(async () => {
    await deployed?.dispose();
});

test("the pod runs as UID/GID 1000 with fsGroup 1000, the identity the file modes are checked against", () => {
    expect(pod.spec.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 });
    expect(execPython(NAMESPACE, pod.metadata.name, "import os; print(os.getuid(), os.getgid(), sorted(os.getgroups()))")).toBe("1000 1000 [1000]");
});

test("ragstar.yaml: the ConfigMap's content, a ..data symlink, mode 0644 (no defaultMode: the API default), group fsGroup, read-only mount", () => {
    const { source, mount } = volume("config");
    expect(source.configMap.defaultMode).toBe(0o644); // the API server's default (ConfigMapVolumeSourceDefaultMode)
    expect(mount.readOnly).toBe(true);
    const configPath = pod.spec.containers[0].env.find((e: any) => e.name === "RAGSTAR_CONFIG_PATH").value;
    const configMap = kubectlJson(["-n", NAMESPACE, "get", "configmap", source.configMap.name]);
    const seen = view(configPath, mount.mountPath);
    expect(seen).toEqual({
        link: true,
        real: expect.stringMatching(new RegExp(`^${mount.mountPath}/\\.\\.\\d{4}_\\d{2}_\\d{2}_[\\d_.]+/ragstar\\.yaml$`)),
        mode: 0o644,
        uid: 0,
        gid: 1000, // fsGroup: the kubelet chowns the volume's files to it
        content: configMap.data["ragstar.yaml"],
        writeErrno: EROFS,
        createErrno: EROFS,
        chmodErrno: EROFS,
        mountOptions: expect.arrayContaining(["ro"]),
    });
});

test("admin_token: the Secret's value, readable through the group only (mode 0440, root:fsGroup), not by others, read-only mount", () => {
    const { source, mount } = volume("secrets");
    expect(mount.mountPath).toBe(SECRETS_MOUNT_PATH);
    expect(mount.readOnly).toBe(true);
    expect(source.secret.defaultMode).toBe(SECRET_FILE_MODE);
    const file = pod.spec.containers[0].env.find((e: any) => e.name === "RAGSTAR_ADMIN_TOKEN_FILE").value;
    const secret = kubectlJson(["-n", NAMESPACE, "get", "secret", source.secret.secretName]);
    const seen = view(file, mount.mountPath);
    expect(seen.mode & 0o007).toBe(0); // nobody but owner and group
    expect(seen).toEqual({
        link: true,
        real: expect.stringMatching(new RegExp(`^${SECRETS_MOUNT_PATH}/\\.\\.\\d{4}_\\d{2}_\\d{2}_[\\d_.]+/admin_token$`)),
        mode: 0o440,
        uid: 0, // not the app's: it reads through the group
        gid: 1000,
        content: Buffer.from(secret.data.admin_token, "base64").toString("utf8"),
        writeErrno: EROFS,
        createErrno: EROFS,
        chmodErrno: EROFS,
        mountOptions: expect.arrayContaining(["ro"]),
    });
});
