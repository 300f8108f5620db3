"""Forward TCP ports on a network namespace's loopback to the same ports on the host's loopback.

The node's kubelet, kube-proxy and NetworkPolicy engine run in the node's own network namespace
(scripts/lib/node.sh), where 127.0.0.1 is the namespace's loopback, while the API server listens on
the host's 127.0.0.1 only. This process opens each listening socket inside the namespace (setns(2)
on the namespace file, then back), and makes every upstream connection from the host's namespace:
the components keep the kubeconfig's https://127.0.0.1:<port> (the certificate's SAN), and the API
server is never exposed beyond loopback. Bytes are relayed unchanged (TLS end to end), with
half-close passed on.

Usage: loopback_forward.py NETNS_FILE PORT...   (root; prints "forwarding ..." once listening;
exits 0 on SIGTERM or SIGINT, 2 on bad usage, 1 when a port cannot be bound in the namespace).
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import os
import signal
import socket
import sys

CLONE_NEWNET = 0x40000000  # linux/sched.h
CHUNK_BYTES = 64 * 1024


def _setns(fd: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


def listen_in_namespace(netns_file: str, ports: list[int]) -> list[socket.socket]:
    """Bind 127.0.0.1:PORT for each port inside the namespace at `netns_file`; the calling thread
    is back in its own namespace on return (sockets keep the namespace they were made in).

    Raises OSError when the namespace cannot be entered or a port is taken there.
    """
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(netns_file, os.O_RDONLY)
    sockets: list[socket.socket] = []
    try:
        _setns(target)
        try:
            for port in ports:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind(("127.0.0.1", port))
                sock.listen(256)
                sock.setblocking(False)
                sockets.append(sock)
        finally:
            _setns(home)
    finally:
        os.close(target)
        os.close(home)
    return sockets


async def _relay(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    try:
        while data := await src.read(CHUNK_BYTES):
            dst.write(data)
            await dst.drain()
        if dst.can_write_eof():
            dst.write_eof()
    except (ConnectionError, OSError):
        dst.close()


def _handler(port: int):
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(_relay(reader, up_writer), _relay(up_reader, writer))
        writer.close()
        up_writer.close()

    return handle


async def _serve(sockets: list[socket.socket]) -> None:
    servers = [await asyncio.start_server(_handler(s.getsockname()[1]), sock=s) for s in sockets]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("forwarding " + " ".join(str(s.getsockname()[1]) for s in sockets), flush=True)
    await stop.wait()
    for server in servers:
        server.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("netns_file")
    parser.add_argument("ports", nargs="+", type=int)
    args = parser.parse_args(argv)
    try:
        sockets = listen_in_namespace(args.netns_file, args.ports)
    except OSError as err:
        print(f"error: cannot listen on 127.0.0.1:{args.ports} in the namespace {args.netns_file}: {err}", file=sys.stderr)
        return 1
    asyncio.run(_serve(sockets))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
