#!/bin/bash
# The JSON-lines records keep the shape of the golden ones (tests/golden/jsonl):
# the agent runs tests/golden/record-jsonl-shapes.sh's scenario (every kind of
# record in each of its variants: without Kafka, with the shared broker, and
# degraded), and tests/golden/jsonl_shape.py finds in every record it wrote
# the golden keys and JSON types, null and omitted keys only as RULES.md
# says, and every golden variant again.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || fail "python3 not found (tests/golden/jsonl_shape.py)"
GOLDEN=$ROOT/tests/golden

rc=0
"$GOLDEN/record-jsonl-shapes.sh" "$BUILD" "$T/shapes" >"$T/scenario.out" 2>&1 || rc=$?
((rc == 0)) || fail "the scenario (tests/golden/record-jsonl-shapes.sh) failed, exit status $rc:
$(grep -v '^ts=' "$T/scenario.out" | tail -n 30)"

rc=0
python3 "$GOLDEN/jsonl_shape.py" "$GOLDEN/jsonl/records.jsonl" "$T/shapes"/runs/*.jsonl \
	>"$T/shape.out" 2>&1 || rc=$?
((rc == 0)) || fail "records differ from the golden shapes (exit status $rc; \
tests/golden/jsonl/RULES.md, INDEX):
$(head -n 60 "$T/shape.out")"
cat "$T/shape.out"
