# Shared code of the hostmon-alert tests (sourced after lib.sh): a real
# Alertmanager (Debian's prometheus-alertmanager) behind a recorder
# (tests/helpers/am_recorder.py) that logs every alert hostmon-alert posts and
# every notification Alertmanager's webhook delivers, hostmon-alert instances
# and hostmon-fleetsim runs on the shared broker, all on ports picked here.

ALERT=$BUILD/hostmon-alert
FLEETSIM=$BUILD/hostmon-fleetsim
AM_BIN=$(command -v prometheus-alertmanager || true)
require_file "$ALERT"
require_file "$FLEETSIM"
[[ -n "$AM_BIN" ]] || fail "prometheus-alertmanager not installed (tools/install-deps)"

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# am_recorder_start: the recorder alone (Alertmanager may start later); REC_URL.
am_recorder_start() {
	REC_PORT=$(free_port)
	AM_PORT=${AM_PORT:-$(free_port)}
	REC_URL=http://127.0.0.1:$REC_PORT
	python3 "$ROOT/tests/helpers/am_recorder.py" "$REC_PORT" "$T" "http://127.0.0.1:$AM_PORT" \
		>"$T/recorder.out" 2>&1 &
	track $!
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q ready "$T/recorder.out" 2>/dev/null && return 0
		nap 0.1
	done
	fail "am_recorder did not start: $(cat "$T/recorder.out")"
}

# am_start: Alertmanager on AM_PORT, notifying the recorder's webhook at once
# for every alert (grouped by all labels, never repeated within the test).
am_start() {
	[[ -n "${REC_PORT:-}" ]] || am_recorder_start
	cat >"$T/am.yml" <<-EOF2
		route:
		  receiver: recorder
		  group_by: ['...']
		  group_wait: 1s
		  group_interval: 1s
		  repeat_interval: 1h
		receivers:
		- name: recorder
		  webhook_configs:
		  - url: $REC_URL/webhook
		    send_resolved: true
	EOF2
	"$AM_BIN" --config.file="$T/am.yml" --storage.path="$T/am-data" \
		--web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= \
		--log.level=warn >"$T/am.log" 2>&1 &
	AM_PID=$!
	track $AM_PID
	local i
	for ((i = 0; i < 100; i++)); do
		curl -sf "http://127.0.0.1:$AM_PORT/-/ready" >/dev/null 2>&1 && return 0
		nap 0.1
	done
	fail "Alertmanager did not become ready on $AM_PORT: $(tail -n 5 "$T/am.log")"
}

# alert_topic PARTITIONS: TOPIC (this run's own, with that many partitions) on the shared broker.
alert_topic() {
	kafka_start alert
	"$HELPERS/kafka_admin" "$BROKERS" "$TOPIC" "$1" >/dev/null || fail "could not create $TOPIC"
	GROUP=hostmon-alert-test-$$-$RANDOM
}

# alert_config: the test's [kafka] and [alertmanager] sections and short rule
# windows (crash loop of 3 and wave of 3 hosts in 120 s, 1 s intervals), then
# the config on stdin, whose keys win; written to $T/alert.ini.
alert_config() {
	{
		cat <<-EOF2
			[kafka]
			brokers = $BROKERS
			topic = $TOPIC
			by_exe_topic = $TOPIC.by-exe
			group_id = $GROUP
			by_exe_partitions = 4
			session.timeout.ms = 6000
			[alertmanager]
			url = $REC_URL
			retry_min_ms = 100
			retry_max_ms = 1000
			[service]
			log_level = info
			[alerts]
			default_interval = 1
			[crash_loop]
			count = 3
			window = 120
			[crash_wave]
			hosts = 3
			window = 120
		EOF2
		cat
	} >"$T/alert.ini"
}

# alert_start NAME [ARGS...]: an instance on $T/alert.ini (or ALERT_INI; flags
# ARGS over it); ALERT_PIDS[NAME], its log $T/alert-NAME.log, its metrics on
# ALERT_METRICS[NAME] (host:port).
declare -A ALERT_PIDS ALERT_METRICS
alert_start() {
	local port
	port=$(free_port)
	"$ALERT" --config "${ALERT_INI:-$T/alert.ini}" --metrics-listen "127.0.0.1:$port" "${@:2}" >>"$T/alert-$1.log" 2>&1 &
	ALERT_PIDS[$1]=$!
	ALERT_METRICS[$1]=127.0.0.1:$port
	track $!
}

# alert_metric NAME METRIC: the value of one of instance NAME's metrics.
alert_metric() {
	curl -sf "http://${ALERT_METRICS[$1]}/metrics" | awk -v m="$2" '$1 == m { print $2 }'
}

# wait_metric NAME METRIC OP VALUE SECONDS: until instance NAME's METRIC OP VALUE (-ge, -eq...).
wait_metric() {
	local i got=
	for ((i = 0; i < $5 * 10; i++)); do
		got=$(alert_metric "$1" "$2" 2>/dev/null || true)
		[[ -n "$got" ]] && [ "$got" "$3" "$4" ] && return 0
		nap 0.1
	done
	fail "instance $1: expected $2 $3 $4 within $5 s, got '$got'"
}

# wait_assigned NAME PARTITIONS SECONDS: until instance NAME holds that many partitions.
wait_assigned() {
	local i got=
	for ((i = 0; i < $3 * 10; i++)); do
		got=$(alert_metric "$1" hostmon_alert_partitions_assigned 2>/dev/null || true)
		[[ "$got" == "$2" ]] && return 0
		nap 0.1
	done
	fail "instance $1: expected $2 partitions assigned within $3 s, got '$got'"
}

# fleetsim ARGS...: a simulated fleet into TOPIC; its output in $T/fleetsim.out.
fleetsim() {
	"$FLEETSIM" -b "$BROKERS" -t "$TOPIC" "$@" >>"$T/fleetsim.out" 2>&1 ||
		fail "hostmon-fleetsim failed: $(tail -n 5 "$T/fleetsim.out")"
}

# notes FILTER: the webhook's notifications (one per alert per notification) as a JSON array through FILTER.
notes() {
	[[ -f "$T/webhook.jsonl" ]] || { jq -n "[] | $1"; return; }
	jq -s "$1" "$T/webhook.jsonl"
}

# posts FILTER: the alerts hostmon-alert posted, as notes does.
posts() {
	[[ -f "$T/posts.jsonl" ]] || { jq -n "[] | $1"; return; }
	jq -s "$1" "$T/posts.jsonl"
}

# wait_notes FILTER COUNT SECONDS: until FILTER over the notifications gives at least COUNT.
wait_notes() {
	local i got=0
	for ((i = 0; i < $3 * 5; i++)); do
		got=$(notes "[.[] | select($1)] | length")
		((got >= $2)) && return 0
		nap 0.2
	done
	fail "expected $2 webhook notifications matching '$1' within $3 s, got $got; all: $(notes '[.[] | [.notification, .labels.alertname, .labels.host // .labels.exe] | join(" ")] | join("; ")')"
}
