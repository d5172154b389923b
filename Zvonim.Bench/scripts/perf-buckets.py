#!/usr/bin/env python3
"""Where a relay server's CPU goes, in buckets: reads `perf script -F comm,tid,ip,sym,dso` output (with call chains,
from `perf record -g`) and puts each sample in one bucket: kernel samples by the syscall (or interrupt) they are in,
user samples by the first frame, leaf upwards, of a known layer (Kestrel, ManagedWebSocket, Akka, ...). Used by
profile-relay.sh; see docs/benchmarks.md, "Relay against the PeerJS server"."""
import sys, re, collections

LAYERS = [
    ("thread pool (park/wake, work queue)", re.compile(r"LowLevelLifoSemaphore|PortableThreadPool|ThreadPoolWorkQueue|WorkerThread|ThreadPoolTypedWorkItemQueue")),
    ("JSON / frame header (System.Text.Json, FrameHeader, dialect)", re.compile(r"\[System\.Text\.Json\]|Zvonim\.Web\.Signaling\.(FrameHeader|Apiv2Dialect|JsonSplice|ClientVocabulary)")),
    ("ManagedWebSocket (receive/send, framing, masking)", re.compile(r"\[System\.Net\.WebSockets\]")),
    ("Kestrel + Pipelines (upgrade stream, pipe, socket transport)", re.compile(r"Microsoft\.AspNetCore|\[System\.IO\.Pipelines\]")),
    ("socket engine (System.Net.Sockets: epoll loop, async ops)", re.compile(r"\[System\.Net\.Sockets\]")),
    ("Akka.Remote (endpoints, envelopes, serialization; cluster only)", re.compile(r"\[Akka\.Remote\]|\[Google\.Protobuf\]|Zvonim\.Actors\.Serialization")),
    ("DotNetty (Akka.Remote's TCP transport; cluster only)", re.compile(r"\[DotNetty\.")),
    ("Akka (mailbox, dispatcher, ActorCell)", re.compile(r"\[Akka\]|\[Akka\.Cluster")),
    ("Zvonim actors (PeerActor, CallActor)", re.compile(r"\[Zvonim\.Actors\]")),
    ("Zvonim.Web (SocketReader, SocketConnection send queue)", re.compile(r"\[Zvonim\.Web\]")),
]
SYSCALLS = [
    ("kernel: TCP send (sendmsg/sendto/write, incl. loopback delivery)", re.compile(r"__x64_sys_(sendto|sendmsg|write|writev)\b")),
    ("kernel: TCP receive (recvfrom/recvmsg/read)", re.compile(r"__x64_sys_(recvfrom|recvmsg|read|readv)\b")),
    ("kernel: epoll", re.compile(r"__x64_sys_epoll")),
    ("kernel: thread park/wake (futex, sched_yield)", re.compile(r"__x64_sys_(futex|sched_yield)")),
]

LIBC_CALLS = [
    (SYSCALLS[0][0], re.compile(r"__libc_send|__send|sendmsg|__libc_write|writev")),
    (SYSCALLS[1][0], re.compile(r"__libc_recv|recvmsg|__libc_read|readv")),
    (SYSCALLS[2][0], re.compile(r"epoll_")),
    (SYSCALLS[3][0], re.compile(r"sched_yield|futex|pthread_cond")),
]

def classify(frames):
    leaf_sym, leaf_dso = frames[0]
    if "kernel" in leaf_dso:
        for sym, dso in frames:
            if "__x64_sys_" in sym:
                for name, rx in SYSCALLS:
                    if rx.search(sym): return name
                return "kernel: other syscalls (" + sym.replace("__x64_sys_", "") + ")"
        # A sample on the syscall entry or exit path has no __x64_sys_ frame: the libc wrapper above says which.
        caller = next((sym for sym, dso in frames if "kernel" not in dso), "")
        for name, rx in LIBC_CALLS:
            if rx.search(caller): return name
        return "kernel: interrupts, softirq, preemption (no syscall)"
    window = frames[:12]
    if "libcoreclr" in leaf_dso or "libc.so" in leaf_dso or "ld-linux" in leaf_dso:
        if any(LAYERS[0][1].search(s) for s, _ in window): return LAYERS[0][0]
        return "runtime native (libcoreclr/libc: GC, allocation, casts, stubs; unsymbolised)"
    for sym, dso in frames:
        for name, rx in LAYERS:
            if rx.search(sym): return name
    return "other managed (CoreLib async plumbing, timers)"

counts = collections.Counter(); total = 0; frames = []
def flush():
    global total, frames
    if frames:
        counts[classify(frames)] += 1; total += 1
    frames = []
for line in open(sys.argv[1], errors="replace"):
    line = line.rstrip("\n")
    if not line.strip(): flush(); continue
    if not line.startswith("\t") and not line.startswith(" "): flush(); continue
    m = re.match(r"\s*[0-9a-f]+ (.*) \(([^)]*)\)$", line)
    if m: frames.append((m.group(1), m.group(2)))
flush()
for name, n in counts.most_common():
    print(f"{100*n/total:5.1f} %  {name}")
print(f"{total} samples")
