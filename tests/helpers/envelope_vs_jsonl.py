#!/usr/bin/env python3
"""envelope_vs_jsonl.py JSONL CONSUMED VERSION: hostmond's JSON lines against the
envelopes hostmon-consume decoded from Kafka, record by record (matched by seq),
every field. Python's json keeps 64-bit integers exact (jq 1.6 rounds them to
doubles, which would hide a mangled low bit of a ts_ns).

Prints "N records match" and a count per type; exit 1 with every difference
(seq, type, key path, JSON value, envelope value) otherwise, 2 on bad input.

The two representations differ in these places only; each is normalised
explicitly below, nothing else is:
  - the envelope nests the event under its kind's field, JSON flattens it beside
    seq/ts_ns/host_id/boot_id; hostmon-consume adds "type" from the oneof;
  - instance_id and agent_version are only in the envelope (checked apart:
    one v4 instance id, the version hostmond --version prints);
  - enums: proto value names (AGENT_STATE_RUNNING, PROTOCOL_TCP,
    ADDRESS_FAMILY_IPV4, CONN_ERROR_KIND_REFUSED, DIRECTION_OUT) for JSON's
    lower-case words (running, tcp, ipv4, refused, out);
  - conn_error: JSON "errno" is proto "errnum" (errno clashes in C);
  - proto3 has no null and no absence for scalars (hostmon.proto rule 6):
    JSON null is "" in conn_error.error (errno 0), process_crash.exe
    (unknown), the exe, cgroup and container_id of conn_error and
    slow_syscall and the container_id of process_crash and oom_kill
    (unknown, none), and 0 in self.pid_cache.hit_ratio (no lookup); JSON leaves out slow_syscall.error (ret >= 0),
    conn_error.duration_ns (connect false), process_crash.sender_pid/
    sender_comm (no sender), agent_status.previous_state (no transition) and
    probes' error (not failed), a syscall's errnos (no error) and
    process_crash.canary (not the canary): the envelope has the zero value
    (AGENT_STATE_UNSPECIFIED for the state); a workload's container_id,
    pod_uid, qos and cgroup are null in JSON when "" (none, unknown), and its
    syscalls' errnos left out when empty;
  - metrics.self: JSON prints cpu_percent with 2 decimals and ring_fill_max
    with 4 (agent/daemon/governor.c), the envelope carries the full double: it is
    rounded the same way before the comparison, as pid_cache.hit_ratio (4);
  - metrics: bucket_le_ns is only in the envelope (the same bounds in every
    window, one fewer than each syscall's buckets); an endpoint's counters sit
    in "stats" (JSON flattens them); JSON other.endpoints is other_endpoints;
    drops are {family: {reasons: {...}}} for JSON's {family: {...}}, and
    self.events_out {sink: {by_kind: {...}}} for JSON's {sink: {...}}.
"""
import json
import re
import sys

ENUMS = {
    "state": "AGENT_STATE_",
    "previous_state": "AGENT_STATE_",
    "protocol": "PROTOCOL_",
    "family": "ADDRESS_FAMILY_",
    "kind": "CONN_ERROR_KIND_",
    "direction": "DIRECTION_",
}
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


class Mismatch(Exception):
    pass


def enum(obj, key):
    """The JSON word for the proto enum name at obj[key]."""
    prefix = ENUMS[key]
    v = obj[key]
    if not isinstance(v, str) or not v.startswith(prefix):
        raise Mismatch(f"{key}: {v!r} is not a {prefix}* enum name")
    obj[key] = v[len(prefix):].lower()


def drop_if(obj, key, zero):
    """JSON leaves key out when it has nothing to say; the envelope holds zero."""
    if obj.get(key) == zero:
        del obj[key]


def null_if(obj, key, zero):
    """JSON writes null where the envelope holds zero."""
    if obj.get(key) == zero:
        obj[key] = None


def flatten_stats(obj):
    stats = obj.pop("stats")
    if set(stats) & set(obj):
        raise Mismatch(f"stats keys {sorted(set(stats) & set(obj))} also outside stats")
    obj.update(stats)


def process_fields(ev, keys=("exe", "cgroup", "container_id")):
    for k in keys:
        null_if(ev, k, "")


def slow_syscall(ev):
    drop_if(ev, "error", "")
    process_fields(ev)


def conn_error(ev):
    ev["errno"] = ev.pop("errnum")
    null_if(ev, "error", "")
    process_fields(ev)
    for k in ("protocol", "family", "kind"):
        enum(ev, k)
    if not ev.get("connect"):
        drop_if(ev, "duration_ns", 0)


def process_crash(ev):
    process_fields(ev, ("exe", "container_id"))
    drop_if(ev, "canary", False)
    if ev.get("sender_pid") == 0 and ev.get("sender_comm") == "":
        del ev["sender_pid"], ev["sender_comm"]


def oom_kill(ev):
    process_fields(ev, ("container_id",))


def agent_status(ev):
    enum(ev, "state")
    drop_if(ev, "previous_state", "AGENT_STATE_UNSPECIFIED")
    if "previous_state" in ev:
        enum(ev, "previous_state")
    for st in ev.get("probes", {}).values():
        drop_if(st, "error", "")


def connections(c):
    for ep in c.get("endpoints", []):
        flatten_stats(ep)
        enum(ep, "protocol")
        enum(ep, "direction")
    c["other"]["endpoints"] = c.pop("other_endpoints")


def workloads(wl):
    """Names a workload has not are null in JSON; a syscall without errors has no errnos."""
    if wl is None:
        return
    for w in wl.get("top", []) + [wl["other"]]:
        for k in ("container_id", "pod_uid", "qos", "cgroup"):
            null_if(w, k, "")
        for sc in w.get("syscalls", []):
            drop_if(sc, "errnos", {})


def metrics(ev, bounds):
    enum(ev, "state")
    le = ev.pop("bucket_le_ns")
    bounds.setdefault("le", le)
    if le != bounds["le"]:
        raise Mismatch(f"bucket_le_ns {le} differs from an earlier window's {bounds['le']}")
    for sc in ev.get("syscalls", []):
        drop_if(sc, "errnos", {})
        if len(sc["buckets"]) != len(le) + 1:
            raise Mismatch(f"{sc['syscall']}: {len(sc['buckets'])} buckets for {len(le)} bounds")
    connections(ev["connections"])
    workloads(ev.get("workloads"))
    for key, decimals in (("cpu_percent", 2), ("ring_fill_max", 4)):
        if key in ev.get("self", {}):
            ev["self"][key] = float(f"{ev['self'][key]:.{decimals}f}")
    pc = ev.get("self", {}).get("pid_cache")
    if pc is not None:
        lookups = pc["hits"] + pc["misses"]
        pc["hit_ratio"] = float(f"{pc['hit_ratio']:.4f}") if lookups else None
    ev["drops"] = {fam: d["reasons"] for fam, d in ev["drops"].items()}
    if "events_out" in ev.get("self", {}):
        ev["self"]["events_out"] = {s: c["by_kind"] for s, c in ev["self"]["events_out"].items()}


KINDS = {
    "slow_syscall": slow_syscall,
    "conn_error": conn_error,
    "process_crash": process_crash,
    "oom_kill": oom_kill,
    "agent_status": agent_status,
}


def as_jsonl(env, version, ids, bounds):
    """The JSON-lines record the envelope stands for."""
    ids.add(env.pop("instance_id"))
    got_version = env.pop("agent_version")
    if got_version != version:
        raise Mismatch(f"agent_version {got_version!r}, hostmond --version says {version!r}")
    kind = env["type"]
    ev = env.pop(kind)
    if kind == "metrics":
        metrics(ev, bounds)
    else:
        KINDS[kind](ev)
    common = set(ev) & set(env)
    if common:
        raise Mismatch(f"event fields {sorted(common)} clash with the envelope's")
    env.update(ev)
    return env


def diff(path, want, got, out):
    """Every key path where the JSON record (want) and the envelope (got) differ."""
    if isinstance(want, dict) and isinstance(got, dict):
        for k in sorted(set(want) | set(got)):
            if k not in got:
                out.append(f"{path}.{k}: JSON {want[k]!r}, missing in the envelope")
            elif k not in want:
                out.append(f"{path}.{k}: not in JSON, envelope {got[k]!r}")
            else:
                diff(f"{path}.{k}", want[k], got[k], out)
    elif isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        for i, (w, g) in enumerate(zip(want, got)):
            diff(f"{path}[{i}]", w, g, out)
    elif want != got or type(want) is not type(got):
        out.append(f"{path}: JSON {want!r}, envelope {got!r}")


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    if len(sys.argv) != 4:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    jsonl, consumed, version = load(sys.argv[1]), load(sys.argv[2]), sys.argv[3]
    by_seq = {}
    for env in consumed:
        if env["seq"] in by_seq:
            print(f"seq {env['seq']}: two envelopes", file=sys.stderr)
            return 1
        by_seq[env["seq"]] = env
    problems, ids, bounds, types = [], set(), {}, {}
    for rec in jsonl:
        env = by_seq.pop(rec["seq"], None)
        if env is None:
            problems.append(f"seq {rec['seq']} ({rec['type']}): not in Kafka")
            continue
        try:
            got = as_jsonl(env, version, ids, bounds)
        except (Mismatch, KeyError) as e:
            problems.append(f"seq {rec['seq']} ({rec['type']}): {type(e).__name__} {e}")
            continue
        out = []
        diff("", rec, got, out)
        problems += [f"seq {rec['seq']} ({rec['type']}) {d}" for d in out]
        types[rec["type"]] = types.get(rec["type"], 0) + 1
    problems += [f"seq {s}: in Kafka, not in the JSON lines" for s in sorted(by_seq)]
    if len(ids) != 1 or not all(UUID4.match(i) for i in ids):
        problems.append(f"instance ids: expected one v4 UUID, got {sorted(ids)}")
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"{len(jsonl)} records match:", " ".join(f"{t}={n}" for t, n in sorted(types.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
