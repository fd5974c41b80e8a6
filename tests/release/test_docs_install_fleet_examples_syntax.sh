#!/bin/bash
# The examples of docs/install.md's "Installing on a fleet": its Ansible play
# parses as YAML and passes ansible-playbook --syntax-check (which also
# resolves every module name), and its shell block parses (bash -n). The
# blocks are taken from the page itself, so what users copy is what is checked.
# Needs no release build: sources the integration helpers only.
. "$(dirname "$0")/../integration/lib.sh"

command -v ansible-playbook >/dev/null || fail "ansible-playbook not found (Debian package ansible-core; tools/install-deps)"
# block LANG: the first ```LANG block of the section, without its fences.
block() {
	awk -v lang="$1" '
		/^## / { in_section = ($0 == "## Installing on a fleet") }
		in_section && !done && $0 == "```" lang { inside = 1; next }
		inside && $0 == "```" { inside = 0; done = 1 }
		inside { print }' "$page"
}
page=$ROOT/docs/install.md
block yaml >"$T/play.yml"
block sh >"$T/install.sh"
[[ -s $T/play.yml ]] || fail "no yaml block in docs/install.md's \"Installing on a fleet\""
[[ -s $T/install.sh ]] || fail "no sh block in docs/install.md's \"Installing on a fleet\""

python3 - "$T/play.yml" <<'PY' || fail "docs/install.md's play is not the YAML of one play with tasks"
import sys, yaml
plays = yaml.safe_load(open(sys.argv[1]))
assert isinstance(plays, list) and len(plays) == 1, plays
play = plays[0]
assert play["hosts"] and play["tasks"], play
for task in play["tasks"] + play.get("handlers", []):
    modules = [k for k in task if k.startswith("ansible.builtin.")]
    assert len(modules) == 1, f"task {task.get('name')!r} uses no ansible.builtin module: {sorted(task)}"
PY
echo "[fleet]" >"$T/inventory"
echo "host-1 ansible_connection=local" >>"$T/inventory"
ANSIBLE_LOCAL_TEMP=$T/ansible ANSIBLE_HOME=$T/ansible \
	ansible-playbook --syntax-check -i "$T/inventory" "$T/play.yml" >"$T/syntax" 2>&1 ||
	fail "ansible-playbook --syntax-check: $(tail -n 15 "$T/syntax")"
bash -n "$T/install.sh" || fail "docs/install.md's install block does not parse"
echo "$(grep -c 'name:' "$T/play.yml") names in the play; syntax check passed"
