#!/bin/bash
# POST /admin/reload re-reads the config file: the interval changes at once,
# a changed restart-only key is listed as such, and a broken file is rejected
# with its line named while the running config stays.
. "$(dirname "$0")/lib.sh"

write_config <<-EOF
	[agent]
	interval = 60
	host_id = hostmon-test
EOF
agent_start
expect_field "$(api /health)" .config.interval_s 60

write_config <<-EOF
	[agent]
	interval = 1
	host_id = hostmon-test-renamed
EOF
body=$(api -X POST /admin/reload)
expect_status "POST /admin/reload" 200
expect_field "$body" '.applied | join(",")' agent.interval
expect_field "$body" '.restart_required | join(",")' agent.host_id
expect_field "$(api /health)" .config.interval_s 1
wait_window    # 1 s windows now, not 60 s
wait_window
expect_field "$WINDOW" .host_id hostmon-test    # restart-only: unchanged

write_config <<-EOF
	[agent]
	interval = often
EOF
body=$(api -X POST /admin/reload)
expect_status "POST /admin/reload with a broken file" 400
expect_field "$body" .error.code invalid_config
expect_field "$body" .error.message "$CONF:2: [agent] interval: 'often' is not an integer in 1..3600"
health=$(api /health)
expect_field "$health" .config.interval_s 1
expect_field "$health" .state running
wait_window
agent_stop
