#!/usr/bin/env python3
"""JSON-lines records against the golden shapes of today's agent.

Usage: jsonl_shape.py [--rules RULES.md] [--all] GOLDEN NEW...

GOLDEN holds one record per kind and variant (tests/golden/jsonl/records.jsonl);
NEW are files of JSON lines from the agent under test. Every new record is
compared with the golden records of its "type", recursively: the same keys in
every object, the same JSON type for every value (integer and real differ),
null only where a rule allows it; the rules (when a key is omitted or null)
come from the table in RULES.md (default: beside GOLDEN). Each golden record's
variant, its combination of pinned rules, must come back in NEW.

Prints every mismatch with its path, once per path and kind of mismatch with
the number of records and the first one (--all: every record). Exit status:
0 when all match, 1 on a mismatch, 2 on bad usage, input or golden files.
Python 3 standard library only.
"""
import argparse
import json
import os
import re
import sys
from collections import defaultdict

# Objects whose keys are data, not names: compared by the JSON type of their
# values only. Every other object must have the golden's keys.
MAPS = {
    "metrics.syscalls[].errnos": "int",  # errno name -> count
    "metrics.crashes.by_signal": "int",  # signal name -> count
    "metrics.crashes.by_exe": "int",  # exe path (or "[comm]") -> count
    "metrics.exits_nonzero": "int",  # comm -> count
    "metrics.self.log.by_code": "int",  # HMnnn -> count
}

TYPES = ("null", "bool", "int", "real", "string", "array", "object")
TYPE_NAMES = {"null": "null", "bool": "boolean", "int": "integer", "real": "real",
              "string": "string", "array": "array", "object": "object"}

RULE_ROW = re.compile(
    r"^\|\s*`(?P<path>[^`]+)`\s*\|\s*(?P<kind>omitted|null|added)\s*\|\s*(?P<type>\w+)\s*\|"
    r"\s*(?P<when>-|(?:iff|if) `[^`]+`)\s*\|\s*(?P<pinned>yes|no)\s*\|")


class Rule:
    def __init__(self, path, kind, jtype, when, pinned, where):
        self.path, self.kind, self.type, self.pinned, self.where = path, kind, jtype, pinned, where
        self.parent, _, self.key = path.rpartition(".")
        self.mode, self.expr = None, None
        if when != "-":
            self.mode, _, rest = when.partition(" ")
            self.expr = rest.strip("`")
            self.code = compile(self.expr, f"{where} ({path})", "eval")


def jtype(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "real"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def names(types):
    return " or ".join(TYPE_NAMES[t] for t in sorted(types))


class Bad(Exception):
    """Unusable input: bad rules, golden file or new file."""


def load_rules(path):
    """The rule table between the rules markers of RULES.md, by path."""
    rules, inside = {}, False
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if line.strip() == "<!-- rules:begin -->":
                inside = True
                continue
            if line.strip() == "<!-- rules:end -->":
                inside = False
                continue
            if not inside or not line.startswith("|") or line.startswith("| Path ") or \
                    line.startswith("|---"):
                continue
            m = RULE_ROW.match(line)
            where = f"{path}:{n}"
            if not m:
                raise Bad(f"{where}: not a rule row (| `path` | omitted/null | type | "
                          f"-/iff `expr`/if `expr` | yes/no | ...): {line}")
            if m["type"] not in TYPES or m["type"] == "null":
                raise Bad(f"{where}: unknown type {m['type']}")
            if m["path"] in rules:
                raise Bad(f"{where}: a second rule for {m['path']}")
            try:
                rules[m["path"]] = Rule(m["path"], m["kind"], m["type"], m["when"],
                                        m["pinned"] == "yes", where)
            except SyntaxError as e:
                raise Bad(f"{where}: bad condition: {e}") from e
    if not rules:
        raise Bad(f"{path}: no rule table between <!-- rules:begin --> and <!-- rules:end -->")
    return rules


def variant_names(golden_path):
    """{line: variant} from the INDEX beside the golden file, if any."""
    names_by_line = {}
    try:
        with open(os.path.join(os.path.dirname(golden_path) or ".", "INDEX"), encoding="utf-8") as f:
            for row in f:
                cells = row.rstrip("\n").split("\t")
                if len(cells) >= 3 and cells[0].isdigit():
                    names_by_line[int(cells[0])] = cells[2]
    except OSError:
        pass
    return names_by_line


def load_lines(path, variants=None):
    """[(where, record)] of a file of JSON lines."""
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError as e:
                raise Bad(f"{path}:{n}: not JSON: {e}") from e
            if not isinstance(rec, dict) or not isinstance(rec.get("type"), str):
                raise Bad(f"{path}:{n}: not a JSON object with a string \"type\"")
            name = f" ({rec['type']} {variants[n]})" if variants and n in variants else ""
            out.append((f"{path}:{n} seq {rec.get('seq')}{name}", rec))
    return out


def walk(v, apath, cpath, visit):
    """visit(apath, cpath, value) for v and everything in it; apath marks
    array elements [] and map values {}, cpath is the concrete path."""
    visit(apath, cpath, v)
    if isinstance(v, dict):
        inner = apath + "{}" if apath in MAPS else None
        for k, x in v.items():
            walk(x, inner or f"{apath}.{k}", f"{cpath}.{k}", visit)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            walk(x, apath + "[]", f"{cpath}[{i}]", visit)


class Golden:
    """What the golden records of each type show: the types seen at each
    path, the keys of each object, and the variants."""

    def __init__(self, records, rules):
        self.records, self.rules = records, rules
        self.types = defaultdict(set)  # apath -> non-null types seen
        self.nulls = set()  # apaths seen null
        self.keys = defaultdict(set)  # object apath -> keys seen
        self.objects = defaultdict(list)  # object apath -> [(where, cpath, keys)]
        self.by_parent = defaultdict(list)
        for r in rules.values():
            self.by_parent[r.parent].append(r)
        for path, vt in MAPS.items():
            self.types[path + "{}"].add(vt)
        for where, rec in records:
            def visit(apath, cpath, v, where=where):
                t = jtype(v)
                if t == "null":
                    self.nulls.add(apath)
                else:
                    self.types[apath].add(t)
                if t == "object" and apath not in MAPS:
                    self.keys[apath].update(v)
                    self.objects[apath].append((where, cpath, set(v)))
            walk(rec, rec["type"], rec["type"], visit)
        # A key no golden record has (a probe family that failed to load is
        # not reproduced) is known from its omitted rule, in an object they have.
        # A key added since the golden records (an extension) is known from
        # its added rule: allowed, with its type, never required.
        for path, r in rules.items():
            if r.kind in ("omitted", "added") and r.parent in self.keys and \
                    r.key not in self.keys[r.parent]:
                self.keys[r.parent].add(r.key)
                self.types[path].add(r.type)

    def self_check(self):
        """The golden records and the rules must agree; returns the problems."""
        bad = []
        for apath in sorted(self.nulls):
            r = self.rules.get(apath)
            if not r or r.kind != "null":
                bad.append(f"{apath} is null in a golden record but RULES.md has no null rule for it")
        for apath, types in sorted(self.types.items()):
            if len(types) > 1:
                bad.append(f"{apath} has more than one type in the golden records: {names(types)}")
        for apath, objs in sorted(self.objects.items()):
            for where, cpath, keys in objs:
                for k in sorted(self.keys[apath] - keys):
                    r = self.rules.get(f"{apath}.{k}")
                    if not r or r.kind not in ("omitted", "added"):
                        bad.append(f"{where}: {cpath}.{k} missing, present in another golden "
                                   f"{apath}, and RULES.md has no omitted rule for it")
        for path, r in sorted(self.rules.items()):
            known = path in self.types or path in self.nulls
            if not known:
                bad.append(f"{r.where}: rule for {path}, which no golden record has "
                           f"(nor {r.parent}, for an omitted key)")
            elif r.type not in self.types[path] and self.types[path]:
                bad.append(f"{r.where}: rule type {r.type} for {path}, golden records have "
                           f"{names(self.types[path])}")
        for where, rec in self.records:
            for msg in check(self, rec):
                bad.append(f"{where}: {msg[0]}: {msg[1]}")
        return bad

    def signature(self, rec):
        """The record's variant: for each pinned rule of its type outside
        arrays and maps, whether it applied."""
        sig = []
        for path, r in sorted(self.rules.items()):
            if not r.pinned or "[]" in path or "{}" in path:
                continue
            parts = path.split(".")
            if parts[0] != rec["type"]:
                continue
            v, state = rec, None
            for p in parts[1:]:
                if not isinstance(v, dict):
                    state = "no parent"
                    break
                if p not in v:
                    state = "absent"
                    break
                v = v[p]
            if state is None:
                state = "null" if v is None else "set"
            sig.append((path, state))
        return tuple(sig)


def condition(r, obj, rec):
    ns = dict(obj)
    ns["has"] = lambda k: k in obj
    ns["record"] = rec
    return bool(eval(r.code, {"__builtins__": {}}, ns))  # pylint: disable=eval-used


def check_rules(g, obj, apath, cpath, rec, out):
    """The conditions of the rules on obj's keys."""
    for r in g.by_parent.get(apath, ()):
        if not r.mode:
            continue
        try:
            cond = condition(r, obj, rec)
        except Exception as e:  # pylint: disable=broad-except
            out.append((f"{apath}.{r.key}", f"cannot evaluate '{r.expr}' ({r.where}): {e}"))
            continue
        if r.kind == "omitted":
            applied, did, didnt = r.key not in obj, "absent", "present"
        elif r.key not in obj:
            continue  # reported as missing
        else:
            applied = obj[r.key] is None
            did = "null"
            didnt = TYPE_NAMES[jtype(obj[r.key])]
        if cond and not applied:
            out.append((f"{apath}.{r.key}", f"expected {did} when {r.expr}, got {didnt}"
                        f" (at {cpath}.{r.key})"))
        elif r.mode == "iff" and applied and not cond:
            out.append((f"{apath}.{r.key}", f"{did}, but only when {r.expr}, which is false"
                        f" (at {cpath}.{r.key})"))


def compare(g, v, apath, cpath, rec, out):
    t = jtype(v)
    r = g.rules.get(apath)
    want = set(g.types.get(apath, ())) or ({r.type} if r else set())
    if t == "null":
        if not r or r.kind != "null":
            out.append((apath, f"expected {names(want) or 'nothing'}, got null (at {cpath})"))
        return
    if t not in want:
        out.append((apath, f"expected {names(want) or 'nothing'}, got {TYPE_NAMES[t]} (at {cpath})"))
        return
    if t == "string" and v == "" and r and r.kind == "null":
        out.append((apath, f"empty string where today's code writes null (at {cpath})"))
    if t == "array":
        for i, x in enumerate(v):
            compare(g, x, apath + "[]", f"{cpath}[{i}]", rec, out)
    elif t == "object" and apath in MAPS:
        for k, x in v.items():
            compare(g, x, apath + "{}", f"{cpath}.{k}", rec, out)
    elif t == "object" and r and r.kind == "added":
        # An object added since the golden records has no golden contents to
        # compare with: its shape is the .proto's (test_pbjson checks the
        # writer field by field); here only its type is.
        return
    elif t == "object":
        keys = g.keys.get(apath, set())
        for k in sorted(keys - set(v)):
            kr = g.rules.get(f"{apath}.{k}")
            if not kr or kr.kind not in ("omitted", "added"):
                out.append((f"{apath}.{k}", f"missing (at {cpath}.{k})"))
        for k in sorted(set(v) - keys):
            out.append((f"{apath}.{k}", f"unexpected key, no golden {apath} has it (at {cpath}.{k})"))
        for k in v:
            if k in keys:
                compare(g, v[k], f"{apath}.{k}", f"{cpath}.{k}", rec, out)
        check_rules(g, v, apath, cpath, rec, out)


def check(g, rec):
    """[(apath, message)] for one record."""
    out = []
    compare(g, rec, rec["type"], rec["type"], rec, out)
    return out


def describe(sig):
    return ", ".join(f"{p.split('.', 1)[1]} {s}" for p, s in sig) or "no pinned rules"


def coverage(g, golden, new):
    """Golden records whose variant no new record of their type has."""
    have = defaultdict(set)
    for _, rec in new:
        have[rec["type"]].add(g.signature(rec))
    out = []
    for where, rec in golden:
        sig = g.signature(rec)
        if sig in have[rec["type"]]:
            continue
        msg = f"golden {where}: no new {rec['type']} record has this variant ({describe(sig)})"
        if have[rec["type"]]:
            near = min(have[rec["type"]], key=lambda s: sum(a != b for a, b in zip(s, sig)))
            diff = [f"{p.split('.', 1)[1]} {b} instead of {a}"
                    for (p, a), (_, b) in zip(sig, near) if a != b]
            msg += f"; nearest new variant differs in: {', '.join(diff)}"
        else:
            msg += f"; no new {rec['type']} record at all"
        out.append(msg)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rules", help="the rules (default: RULES.md beside GOLDEN)")
    ap.add_argument("--all", action="store_true", help="every mismatching record, not the first")
    ap.add_argument("golden")
    ap.add_argument("new", nargs="+")
    a = ap.parse_args()
    try:
        rules = load_rules(a.rules or os.path.join(os.path.dirname(a.golden) or ".", "RULES.md"))
        golden = load_lines(a.golden, variant_names(a.golden))
        g = Golden(golden, rules)
        bad = g.self_check()
        if bad:
            raise Bad("the golden records and RULES.md disagree:\n  " + "\n  ".join(bad))
        new = [x for path in a.new for x in load_lines(path)]
    except (OSError, Bad) as e:
        print(f"jsonl_shape: {e}", file=sys.stderr)
        return 2

    golden_types = {rec["type"] for _, rec in golden}
    found = defaultdict(list)  # (apath, message without location) -> [(where, message)]
    counts = defaultdict(int)
    for where, rec in new:
        counts[rec["type"]] += 1
        if rec["type"] not in golden_types:
            found[("type", "unknown")].append((where, f"type \"{rec['type']}\" has no golden record"))
            continue
        for apath, msg in check(g, rec):
            found[(apath, re.sub(r" \(at [^)]*\)$", "", msg))].append((where, f"{apath}: {msg}"))
    missing = coverage(g, golden, new)

    for key in sorted(found):
        hits = found[key]
        if a.all:
            for where, msg in hits:
                print(f"{where}: {msg}")
        else:
            where, msg = hits[0]
            more = f" (and {len(hits) - 1} more records)" if len(hits) > 1 else ""
            print(f"{msg}: first in {where}{more}")
    for msg in missing:
        print(msg)
    summary = ", ".join(f"{n} {t}" for t, n in sorted(counts.items()))
    problems = sum(len(h) for h in found.values()) + len(missing)
    print(f"jsonl_shape: {len(new)} new records ({summary}) against {len(golden)} golden "
          f"records: {'OK' if not problems else f'{problems} mismatches'}",
          file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
