/**
 * The pod under a real kubelet, containerd and runc (scripts/lib/node.sh): scheduled on the real
 * node (not kwok), its image pulled by digest from the authenticated registry with the pull
 * Secret the stack manages, and the hardened securityContext enforced by the kernel, read from
 * /proc/<pid>/status of the container's process on the host.
 */
import { ctr, hostPid, kubectl, kubectlJson, nodeFacts, openTestStack, procStatus, pushedImage, ragstarPod, type TestStack } from "../../infra/tools/node/nodeCluster";

/** The node's containerd image records (names) of `digest`: by reference, by tag, by image ID. */
const imageNames = (digest: string) => ctr(["images", "ls"]).split("\n").filter((line) => line.includes(digest)).map((line) => line.split(/\s+/)[0]);

const NAMESPACE = "ragstar-node-pod";
let image: string;
let deployed: TestStack;

beforeAll(async () => {
    nodeFacts();
    image = pushedImage();
    // Other tests on this node may have pulled the same digest: remove it, so this pod's start is a real pull.
    const digest = image.split("@")[1];
    for (const name of imageNames(digest)) ctr(["images", "rm", name]);
    expect(imageNames(digest)).toEqual([]);
    deployed = await openTestStack(NAMESPACE, image);
    const up = await deployed.stack.up();
    expect(up.summary.result).toBe("succeeded");
});

afterAll(async () => {
    await deployed?.dispose();
});

test("the pod runs on the real node, from the image pulled by digest with the managed pull Secret", () => {
    const pod = ragstarPod(NAMESPACE);
    expect(pod.spec.nodeName).toBe(nodeFacts().name);
    expect(pod.spec.imagePullSecrets).toEqual([{ name: "ragstar-registry" }]);
    const status = pod.status.containerStatuses.find((c: any) => c.name === "ragstar");
    expect(status.ready).toBe(true);
    // The kubelet resolved the digest-pinned reference itself: the pulled image's repoDigest is the deployed digest.
    expect(status.imageID.endsWith(image.split("@")[1])).toBe(true);
    const events = kubectlJson<{ items: any[] }>(["-n", NAMESPACE, "get", "events", "--field-selector", `involvedObject.name=${pod.metadata.name}`]).items;
    const pulled = events.filter((e) => e.reason === "Pulled").map((e) => e.message);
    expect(pulled.join("\n")).toMatch(/Successfully pulled image/);
});

test("the kernel enforces the securityContext: UID/GID 1000, no capabilities, no-new-privileges, a seccomp filter", () => {
    const pod = ragstarPod(NAMESPACE);
    const status = procStatus(hostPid(pod.status.containerStatuses.find((c: any) => c.name === "ragstar").containerID));
    expect(status.Uid.split(/\s+/)).toEqual(["1000", "1000", "1000", "1000"]);
    expect(status.Gid.split(/\s+/)).toEqual(["1000", "1000", "1000", "1000"]);
    expect(status.CapEff).toBe("0000000000000000");
    expect(status.CapPrm).toBe("0000000000000000");
    expect(status.CapBnd).toBe("0000000000000000");
    expect(status.NoNewPrivs).toBe("1");
    expect(status.Seccomp).toBe("2"); // SECCOMP_MODE_FILTER: RuntimeDefault is applied
});

test("writes to the root filesystem fail; /tmp and the data volume are writable", () => {
    const pod = ragstarPod(NAMESPACE).metadata.name;
    const exec = (script: string) => kubectl(["-n", NAMESPACE, "exec", pod, "-c", "ragstar", "--", "python", "-c", script]).trim();
    expect(exec("import os\ntry:\n open('/rootfs-probe','w')\n print('written')\nexcept OSError as e:\n print(e.errno)")).toBe("30"); // EROFS
    expect(exec("open('/tmp/probe','w').write('x'); print('ok')")).toBe("ok");
    const dataDir = ragstarPod(NAMESPACE).spec.containers[0].volumeMounts.find((m: any) => m.name === "data").mountPath;
    expect(exec(`open('${dataDir}/probe','w').write('x'); print('ok')`)).toBe("ok");
});
