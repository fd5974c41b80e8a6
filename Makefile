# hostmon build: BPF objects and skeletons, hostmond, tests. Output under build/.
.DELETE_ON_ERROR:
.SECONDARY:
.DEFAULT_GOAL := all

ARCH       := x86
CC         ?= cc
CLANG      ?= clang
BPFTOOL    ?= bpftool
LLVM_STRIP ?= llvm-strip
# SANITIZE=1: the agent, tools and unit tests under AddressSanitizer and
# UndefinedBehaviorSanitizer in a build dir of their own; any report is fatal.
# clang: gcc's UBSan runtime ignores log_path, and tests/run-all collects every
# report from files.
# RELEASE=1: static binaries that need nothing from a host but its kernel, in
# build-release (make release, make deb; tools/release/release.mk).
ifeq ($(SANITIZE),1)
BUILD      := build-asan
CC         := $(CLANG)
SAN_CFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else ifeq ($(RELEASE),1)
BUILD      := build-release
SAN_CFLAGS :=
else
BUILD      := build
SAN_CFLAGS :=
endif
PKG_CONFIG ?= pkg-config
LINK_KIND  := dynamic

PKGS       := libbpf libelf zlib inih json-c libmicrohttpd libprotobuf-c rdkafka libcap-ng
# libm: round() (agent/daemon/governor.c).
CFLAGS     ?= -O2 -g
WARN       := -Wall -Wextra -Werror
# The project's C, compiled and linked; the test helpers take CFLAGS alone (a
# crasher or a memory hog must behave as it does outside the sanitizers).
CCFLAGS     = $(CFLAGS) $(SAN_CFLAGS) $(STATIC_CFLAGS)
CPPFLAGS   += -I$(BUILD) -I. -Iagent -D_GNU_SOURCE
ifeq ($(RELEASE),1)
include tools/release/static.mk
endif
LDLIBS     += $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lm
BPF_CFLAGS := -O2 -g -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
              -Ivmlinux/$(ARCH) -Ibpf

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

FAMILIES   := syscalls proc net
BPF_OBJS   := $(FAMILIES:%=$(BUILD)/%.bpf.o)
SKELS      := $(FAMILIES:%=$(BUILD)/%.skel.h)

# proto/*.proto -> build/proto/*.pb-c.[ch] (protoc-c), included as "proto/NAME.pb-c.h".
PROTOS     := $(wildcard proto/*.proto)
PROTO_HDRS := $(PROTOS:proto/%.proto=$(BUILD)/proto/%.pb-c.h) \
              $(PROTOS:proto/%.proto=$(BUILD)/proto/%.json-rules.h)
PROTO_OBJS := $(PROTOS:proto/%.proto=$(BUILD)/proto/%.pb-c.o)

AGENT_DIRS := core config record sinks probes serve daemon
AGENT_SRCS := $(foreach d,$(AGENT_DIRS),$(wildcard agent/$(d)/*.c))
AGENT_OBJS := $(AGENT_SRCS:agent/%.c=$(BUILD)/agent/%.o) $(PROTO_OBJS)
# Everything but main(): linked into hostmond and into the unit tests.
AGENT_LIB  := $(filter-out $(BUILD)/agent/daemon/main.o,$(AGENT_OBJS))

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_SRCS:= $(wildcard tests/helpers/*.c)
HELPER_BINS:= $(HELPER_SRCS:tests/helpers/%.c=$(BUILD)/helpers/%)

.PHONY: all deps run test test-kernels test-bpf bpf-tests test-release unit integration bench golden soak \
	vmlinux clean install \
	lint lint-cppcheck lint-clang-tidy FORCE

all: $(BUILD)/hostmond $(BUILD)/hostmonctl $(BUILD)/hostmon-consume $(BUILD)/hostmon-alert \
	$(BUILD)/hostmon-fleetsim

ifeq ($(SANITIZE),1)
# A note for the tests (tests/integration/lib.sh: memory_checked).
all: $(BUILD)/sanitizers
$(BUILD)/sanitizers: | $(BUILD)
	$(Q)echo "$(SAN_CFLAGS)" >$@
endif

# Installs the Debian packages the build and the tests need, only when missing.
deps:
	$(Q)tools/install-deps

$(BUILD) $(BUILD)/agent $(BUILD)/proto $(BUILD)/ctl $(BUILD)/consume $(BUILD)/alert $(BUILD)/fleetsim \
	$(BUILD)/tests $(BUILD)/deps $(BUILD)/helpers $(BUILD)/bench $(BUILD)/bpf-tests:
	$(Q)mkdir -p $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) vmlinux/$(ARCH)/vmlinux.h | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@ # DWARF: libbpf needs only BTF; 10x smaller skeletons

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

# Syscall number -> name table, from the installed kernel headers.
$(BUILD)/syscall_table.h: tools/gen-syscall-table /usr/include/x86_64-linux-gnu/asm/unistd_64.h | $(BUILD)
	$(call msg,GEN,$@)
	$(Q)tools/gen-syscall-table /usr/include/x86_64-linux-gnu/asm/unistd_64.h > $@

# Both files come from one protoc-c run (a pattern rule's targets are grouped).
$(BUILD)/proto/%.pb-c.c $(BUILD)/proto/%.pb-c.h: proto/%.proto | $(BUILD)/proto
	$(call msg,PROTOC-C,$@)
	$(Q)protoc-c --proto_path=proto --c_out=$(BUILD)/proto $<

# The JSON-lines rules of each .proto's fields ([json: ...] comments), for agent/record/pbjson.c.
$(BUILD)/proto/%.json-rules.h: proto/%.proto tools/gen-json-rules | $(BUILD)/proto
	$(call msg,GEN,$@)
	$(Q)tools/gen-json-rules $< > $@

$(BUILD)/proto/%.pb-c.o: $(BUILD)/proto/%.pb-c.c $(BUILD)/proto/%.pb-c.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CCFLAGS) $(WARN) -MMD -MP -c $< -o $@

# Generated headers first (order-only: the -MMD files name the ones each object uses).
$(BUILD)/agent/%.o: agent/%.c $(SKELS) $(BUILD)/syscall_table.h | $(PROTO_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CCFLAGS) $(WARN) -MMD -MP -c $< -o $@

# --version's commit and link kind; the stamp changes only when they do.
HOSTMON_COMMIT := $(shell git describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)
$(BUILD)/version.stamp: FORCE | $(BUILD)
	$(Q)echo '$(HOSTMON_COMMIT) $(LINK_KIND)' | cmp -s - $@ || echo '$(HOSTMON_COMMIT) $(LINK_KIND)' >$@
$(BUILD)/agent/core/version.o: $(BUILD)/version.stamp
$(BUILD)/agent/core/version.o: CPPFLAGS += -DHOSTMON_COMMIT='"$(HOSTMON_COMMIT)"' -DHOSTMON_LINK='"$(LINK_KIND)"'

$(BUILD)/hostmond: $(AGENT_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CCFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

CTL_SRCS   := $(wildcard tools/hostmonctl/*.c)
CTL_OBJS   := $(CTL_SRCS:tools/hostmonctl/%.c=$(BUILD)/ctl/%.o)

$(BUILD)/ctl/%.o: tools/hostmonctl/%.c | $(BUILD)/ctl
	$(call msg,CC,$@)
	$(Q)$(CC) -D_GNU_SOURCE -Iagent $(CCFLAGS) $(WARN) -MMD -MP -c $< -o $@

$(BUILD)/hostmonctl: $(CTL_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CCFLAGS) $(LDFLAGS) $^ $(shell $(PKG_CONFIG) --libs libcurl json-c 2>/dev/null) -o $@

# hostmon-consume: a Kafka consumer and envelope decoder (tools/hostmon-consume).
CONSUME_SRCS := $(wildcard tools/hostmon-consume/*.c)
CONSUME_OBJS := $(CONSUME_SRCS:tools/hostmon-consume/%.c=$(BUILD)/consume/%.o)

$(BUILD)/consume/%.o: tools/hostmon-consume/%.c | $(PROTO_HDRS) $(BUILD)/consume
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CCFLAGS) $(WARN) -MMD -MP -c $< -o $@

# The JSON writer is the agent's own (agent/record/pbjson.c), and so is the spool's format
# for --spool (agent/sinks/spool_format.c, spool_segfile.c): the two cannot disagree.
CONSUME_AGENT := $(addprefix $(BUILD)/agent/,record/pbjson.o record/pbjson_rules.o record/pbjson_read.o sinks/spool_format.o sinks/spool_segfile.o)
$(BUILD)/hostmon-consume: $(CONSUME_OBJS) $(CONSUME_AGENT) $(PROTO_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CCFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

# hostmon-alert: alerts on the Kafka stream (tools/hostmon-alert, docs/hostmon-alert.md);
# its Prometheus text and TCP listener are the agent's (agent/serve/prom.c, agent/serve/listener.c).
ALERT_SRCS := $(wildcard tools/hostmon-alert/*.c)
ALERT_OBJS := $(ALERT_SRCS:tools/hostmon-alert/%.c=$(BUILD)/alert/%.o)
# The rule logic alone, for the unit tests.
ALERT_RULES:= $(addprefix $(BUILD)/alert/,rules.o wave.o strmap.o alert.o part.o)

$(BUILD)/alert/%.o: tools/hostmon-alert/%.c | $(PROTO_HDRS) $(BUILD)/alert
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CCFLAGS) $(WARN) -MMD -MP -c $< -o $@

$(BUILD)/hostmon-alert: $(ALERT_OBJS) $(BUILD)/agent/serve/prom.o $(BUILD)/agent/serve/listener.o $(PROTO_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CCFLAGS) $(LDFLAGS) $^ $(LDLIBS) $(shell $(PKG_CONFIG) --libs libcurl 2>/dev/null) -lpthread -o $@

# hostmon-fleetsim: a simulated fleet's envelopes into Kafka (tools/hostmon-fleetsim).
FLEETSIM_SRCS := $(wildcard tools/hostmon-fleetsim/*.c)
FLEETSIM_OBJS := $(FLEETSIM_SRCS:tools/hostmon-fleetsim/%.c=$(BUILD)/fleetsim/%.o)

$(BUILD)/fleetsim/%.o: tools/hostmon-fleetsim/%.c | $(PROTO_HDRS) $(BUILD)/fleetsim
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CCFLAGS) $(WARN) -MMD -MP -c $< -o $@

$(BUILD)/hostmon-fleetsim: $(FLEETSIM_OBJS) $(PROTO_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CCFLAGS) $^ $(LDLIBS) -o $@

# A unit test may link modules of a tool too: TEST_OBJS, set per test below.
$(BUILD)/tests/test_consume: TEST_OBJS := $(BUILD)/consume/seqcheck.o $(BUILD)/consume/spoolwalk.o
$(BUILD)/tests/test_consume: $(BUILD)/consume/seqcheck.o $(BUILD)/consume/spoolwalk.o
$(BUILD)/tests/test_alert_rules: TEST_OBJS := $(ALERT_RULES)
$(BUILD)/tests/test_alert_rules: CPPFLAGS += -Itools/hostmon-alert
$(BUILD)/tests/test_alert_rules: $(ALERT_RULES)

# Unit tests that read files under tests/unit/data find them by absolute path.
$(BUILD)/tests/test_kafka_stats: CPPFLAGS += -DUNIT_DATA='"$(CURDIR)/tests/unit/data"'

# test_log checks the error codes against their table in docs/errors.md.
$(BUILD)/tests/test_log: CPPFLAGS += -DDOCS_DIR='"$(CURDIR)/docs"'

# Golden envelopes (tests/golden): decoded by test_golden, written per release by `make golden`.
GOLDEN     := tests/golden
$(BUILD)/tests/test_golden: CPPFLAGS += -DGOLDEN_DIR='"$(abspath $(GOLDEN))"'
$(BUILD)/tests/test_pbjson: CPPFLAGS += -DGOLDEN_DIR='"$(abspath $(GOLDEN))"'

$(BUILD)/golden-gen: $(GOLDEN)/gen.c $(AGENT_LIB) | $(PROTO_HDRS) $(BUILD)/deps
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CCFLAGS) $(WARN) -MMD -MP -MF $(BUILD)/deps/golden-gen.d $< \
		$(AGENT_LIB) $(LDLIBS) -o $@

# Writes this release's golden files; fails rather than replace existing ones.
golden: $(BUILD)/golden-gen
	$(Q)$(BUILD)/golden-gen $(GOLDEN)/records.jsonl $(GOLDEN)

$(BUILD)/tests/%: tests/unit/%.c $(AGENT_LIB) | $(PROTO_HDRS) $(BUILD)/tests $(BUILD)/deps
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CCFLAGS) $(WARN) -MMD -MP -MF $(BUILD)/deps/$*.d $< $(TEST_OBJS) \
		$(AGENT_LIB) $(LDLIBS) -lcmocka -lm -o $@

# Per-program BPF tests (tests/bpf, cmocka): each loads one family's skeleton, triggers
# its programs and reads its maps and ring buffer; they need root, so `make unit` leaves
# them out and tests/run-all runs them as a stage of their own.
BPFT_SRCS  := $(wildcard tests/bpf/test_*.c)
BPFT_BINS  := $(BPFT_SRCS:tests/bpf/%.c=$(BUILD)/bpf-tests/%)

$(BUILD)/bpf-tests/%: tests/bpf/%.c tests/bpf/bpftest.c $(SKELS) $(AGENT_LIB) | $(PROTO_HDRS) $(BUILD)/bpf-tests $(BUILD)/deps
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests/bpf $(CCFLAGS) $(WARN) -MMD -MP -MF $(BUILD)/deps/bpf-$*.d \
		$< tests/bpf/bpftest.c $(AGENT_LIB) $(LDLIBS) -lcmocka -lpthread -o $@

bpf-tests: $(BPFT_BINS)

# The BPF tests alone, as root; BPFTEST=test_proc_bpf for one file (one test:
# the binary with the test's name, docs/testing.md).
test-bpf: bpf-tests
	$(Q)rc=0; for t in $(if $(BPFTEST),$(BUILD)/bpf-tests/$(BPFTEST),$(BPFT_BINS)); do \
		$$t || rc=1; done; exit $$rc

# A helper may need a library: HELPER_LIBS, set per helper below.
$(BUILD)/helpers/kafka_admin: HELPER_LIBS := -lrdkafka

# workload_resolve names real cgroups with the agent's own modules (parser, cache, resolver).
$(BUILD)/helpers/workload_resolve: tests/helpers/workload_resolve.c $(BUILD)/agent/probes/workload.o \
		$(BUILD)/agent/probes/workload_cache.o $(BUILD)/agent/probes/workload_resolver.o | $(BUILD)/helpers
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CCFLAGS) $(WARN) $^ -o $@

$(BUILD)/helpers/%: tests/helpers/%.c | $(BUILD)/helpers
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $< $(HELPER_LIBS) -lpthread -o $@

# Static analysis: cppcheck and clang-tidy over the agent, the tools and the
# test helpers, with the build's own -D/-I; any finding (file:line) fails.
CPPCHECK   ?= cppcheck
CLANG_TIDY ?= clang-tidy
LINT_DIR   := $(BUILD)/lint
LINT_SRCS  := $(AGENT_SRCS) $(CTL_SRCS) $(CONSUME_SRCS) $(ALERT_SRCS) $(FLEETSIM_SRCS) $(HELPER_SRCS)
LINT_GEN   := $(SKELS) $(BUILD)/syscall_table.h $(PROTO_HDRS)
# Generated headers as system headers: not ours to fix, so not reported.
TIDY_FLAGS  = $(patsubst -I$(BUILD),-isystem $(BUILD),$(CPPFLAGS)) $(WARN)
# One configuration (-D given, --max-configs=1) and no system headers keep it
# fast; protobuf-c.h is read for the version check in the generated header.
CPPCHECK_FLAGS = -q -j2 --error-exitcode=1 --std=c11 --max-configs=1 \
	--enable=warning,style,performance,portability --inline-suppr \
	--library=posix --library=tests/lint/cppcheck.cfg \
	--suppressions-list=tests/lint/cppcheck.supp \
	--include=$(shell pkg-config --variable=includedir libprotobuf-c)/protobuf-c/protobuf-c.h \
	--cppcheck-build-dir=$(LINT_DIR)/cppcheck \
	--template='{file}:{line}: {severity} ({id}): {message}' \
	$(filter -D% -I%,$(CPPFLAGS))

lint: lint-cppcheck lint-clang-tidy

lint-cppcheck: $(LINT_GEN)
	$(call msg,CPPCHECK,$(words $(LINT_SRCS)) files)
	$(Q)mkdir -p $(LINT_DIR)/cppcheck
	$(Q)$(CPPCHECK) $(CPPCHECK_FLAGS) $(LINT_SRCS)

# One clang-tidy per file, two at a time, each file's findings kept together.
lint-clang-tidy: $(LINT_GEN)
	$(Q)$(MAKE) --no-print-directory -j2 --output-sync=target \
		$(LINT_SRCS:%=$(LINT_DIR)/tidy/%)

# A file passes when clang-tidy is clean or its only errors are in $(BUILD)/:
# the analyzer reports a leak in bpftool's generated X__create_skeleton, not
# seeing that bpf_object__destroy_skeleton frees it.
$(LINT_DIR)/tidy/%: % .clang-tidy FORCE
	$(call msg,TIDY,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG_TIDY) --quiet $< -- $(TIDY_FLAGS) >$@ 2>&1 || \
		! grep -v '^$(BUILD)/' $@ | grep -q ': error: ' || \
		{ grep -v '^[0-9]* warnings\? .*generated\.$$' $@; exit 1; }

FORCE:

run: deps all
	$(BUILD)/hostmond --output jsonl:- $(ARGS)

unit: $(UNIT_BINS)
integration: all $(HELPER_BINS)

# Every test on the plain build (the per-program BPF tests once, and a short
# run of each fuzz target) and the release's (make deb first), then the unit
# and integration tests again on the sanitizer build, then the kernel matrix
# on the plain build.
test: deps
	$(Q)$(MAKE) --no-print-directory all unit integration fuzz-build bpf-tests
	$(Q)$(MAKE) --no-print-directory deb
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 BUILD=$(BUILD)-asan all unit integration
	$(Q)KERNELS="$(KERNELS)" tests/run-all $(BUILD) $(BUILD)-asan

# The kernel matrix alone (part of make test): the core integration tests
# under Debian's 5.10 and 6.1 kernels in qemu (docs/kernels.md); KERNELS=6.1
# for one of them.
KERNELS    ?= 5.10 6.1
test-kernels: deps
	$(Q)$(MAKE) --no-print-directory all integration
	$(Q)tests/kernels/run-matrix $(BUILD) $(KERNELS)

# The release's tests alone (part of make test): the tarball, the package,
# and both on Debian 11 and 12 roots under qemu (docs/install.md, "How it is tested").
test-release: deps
	$(Q)$(MAKE) --no-print-directory all deb
	$(Q)for t in tests/release/test_*.sh; do \
		echo "== $$t"; HOSTMON_BUILD=$(CURDIR)/$(BUILD) bash $$t || exit 1; done

# Ten minutes of load with Kafka attached (SOAK_SECONDS, SOAK_WARMUP, SOAK_CPU_PERCENT).
soak: deps
	$(Q)$(MAKE) --no-print-directory all $(HELPER_BINS)
	$(Q)tests/bench/soak.sh $(BUILD)

bench: deps
	$(Q)$(MAKE) --no-print-directory -C . bench-build
	$(Q)tests/bench/run $(BUILD)

# The binaries, the systemd unit (its paths rewritten for PREFIX), the
# Prometheus alert rules and, if none is there yet, a config file. DESTDIR
# for packaging.
PREFIX ?= /usr/local
install: all
	install -D -m 0755 $(BUILD)/hostmond $(DESTDIR)$(PREFIX)/sbin/hostmond
	install -D -m 0755 $(BUILD)/hostmonctl $(DESTDIR)$(PREFIX)/bin/hostmonctl
	install -D -m 0755 $(BUILD)/hostmon-consume $(DESTDIR)$(PREFIX)/bin/hostmon-consume
	install -D -m 0755 $(BUILD)/hostmon-alert $(DESTDIR)$(PREFIX)/bin/hostmon-alert
	install -D -m 0755 $(BUILD)/hostmon-fleetsim $(DESTDIR)$(PREFIX)/bin/hostmon-fleetsim
	install -D -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/hostmon/README.md
	install -D -m 0644 proto/hostmon.proto $(DESTDIR)$(PREFIX)/share/hostmon/hostmon.proto
	install -D -m 0644 packaging/prometheus/hostmon.rules.yml \
		$(DESTDIR)$(PREFIX)/share/hostmon/prometheus/hostmon.rules.yml
	install -d -m 0755 $(DESTDIR)/etc/systemd/system $(DESTDIR)/etc/hostmon
	sed 's|/usr/local/|$(PREFIX)/|g' packaging/hostmond.service \
		>$(DESTDIR)/etc/systemd/system/hostmond.service
	sed 's|/usr/local/|$(PREFIX)/|g' packaging/hostmon-alert.service \
		>$(DESTDIR)/etc/systemd/system/hostmon-alert.service
	install -D -m 0644 docs/hostmon-alert.md $(DESTDIR)$(PREFIX)/share/doc/hostmon/hostmon-alert.md
	test -e $(DESTDIR)/etc/hostmon/hostmond.ini || \
		install -m 0644 packaging/hostmond.ini $(DESTDIR)/etc/hostmon/hostmond.ini
	test -e $(DESTDIR)/etc/hostmon/hostmon-alert.ini || \
		install -m 0644 packaging/hostmon-alert.ini $(DESTDIR)/etc/hostmon/hostmon-alert.ini

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux.h

clean:
	rm -rf $(BUILD) $(BUILD)-asan build-release

-include $(wildcard $(BUILD)/agent/*/*.d $(BUILD)/proto/*.d $(BUILD)/ctl/*.d $(BUILD)/consume/*.d $(BUILD)/alert/*.d \
	$(BUILD)/fleetsim/*.d $(BUILD)/deps/*.d)
include tools/release/release.mk
include tests/bench/bench.mk
include tests/fuzz/fuzz.mk
