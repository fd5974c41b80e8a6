# Benchmarks (make bench): the whole default agent's per-syscall overhead
# against no tracing, empty programs, the agent with its syscall family alone,
# libbpf-tools' syscount -L and bpftrace's hist(); the syscall probe's per-call
# overhead against no tracing and against empty programs on the same
# tracepoints; the net probes'
# per-connection overhead on a loopback connect/accept/close loop; the stats
# socket's scrape rate and CPU cost under a syscall storm; Kafka delivery
# (events/s ring buffer to broker acknowledgement) against kcat -P; the
# process metadata cache's miss and hit costs and its full size; the CPU of
# isolated conn_error events with ring buffer wakeups batched or not;
# hostmond's CPU and heap allocations per record, JSON lines only and with Kafka;
# hostmon-alert's envelopes per second and CPU on a simulated fleet, one
# instance and two in one group.
BENCH      := $(BUILD)/bench
BENCH_LIBS := $(shell pkg-config --libs libbpf libelf zlib 2>/dev/null)
# Only the skeletons and bpf/'s shared headers: agent/ has headers of the same names.
BENCH_CPPFLAGS := -I$(BUILD) -I$(BENCH) -Ibpf -D_GNU_SOURCE

.PHONY: bench-build

bench-build: $(BENCH)/syscall_overhead $(BENCH)/net_overhead $(BENCH)/scrape_client \
	     $(BENCH)/getppid_ns $(BENCH)/floor_hold \
	     $(BENCH)/pidcache_cost $(BENCH)/alloc_count.so \
	     $(BUILD)/hostmond $(BUILD)/helpers/getppid_loop $(BUILD)/helpers/syscall_loop \
	     $(BUILD)/hostmon-alert $(BUILD)/hostmon-fleetsim $(BUILD)/helpers/kafka_admin

$(BENCH)/scrape_client: tests/bench/scrape_client.c | $(BENCH)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) -MMD -MP $< $(shell pkg-config --libs libcurl 2>/dev/null) -o $@

$(BENCH)/floor.bpf.o: tests/bench/floor.bpf.c vmlinux/$(ARCH)/vmlinux.h | $(BENCH)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# Explicit: the generic skeleton rule would name it after the path.
$(BENCH)/floor.skel.h: $(BENCH)/floor.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name floor_bpf > $@

$(BENCH)/syscall_overhead: tests/bench/syscall_overhead.c tests/bench/bench_util.c \
			   $(BENCH)/floor.skel.h $(BUILD)/syscalls.skel.h | $(BENCH)
	$(call msg,CC,$@)
	$(Q)$(CC) $(BENCH_CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP $(filter %.c,$^) $(BENCH_LIBS) -lm -o $@

# The whole agent's overhead (agent_overhead.sh): its timer and its floor.
$(BENCH)/getppid_ns: tests/bench/getppid_ns.c tests/bench/bench_util.c | $(BENCH)
	$(call msg,CC,$@)
	$(Q)$(CC) $(BENCH_CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP $(filter %.c,$^) $(BENCH_LIBS) -lm -o $@

$(BENCH)/floor_hold: tests/bench/floor_hold.c tests/bench/bench_util.c $(BENCH)/floor.skel.h | $(BENCH)
	$(call msg,CC,$@)
	$(Q)$(CC) $(BENCH_CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP $(filter %.c,$^) $(BENCH_LIBS) -lm -o $@

$(BENCH)/net_overhead: tests/bench/net_overhead.c tests/bench/bench_util.c \
		       $(BUILD)/net.skel.h $(BUILD)/syscalls.skel.h | $(BENCH)
	$(call msg,CC,$@)
	$(Q)$(CC) $(BENCH_CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP $(filter %.c,$^) $(BENCH_LIBS) -lm -o $@

$(BENCH)/pidcache_cost: tests/bench/pidcache_cost.c $(BUILD)/agent/pidcache.o $(BUILD)/agent/encode.o | $(BENCH)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP $^ $(shell pkg-config --libs json-c 2>/dev/null) -o $@

# An LD_PRELOAD shim (tests/bench/alloc_count.c): CFLAGS alone, never the
# sanitizers, whose runtime brings its own malloc.
$(BENCH)/alloc_count.so: tests/bench/alloc_count.c | $(BENCH)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) -D_GNU_SOURCE -fPIC -shared -MMD -MP $< -o $@

-include $(wildcard $(BENCH)/*.d)
