# Fuzzing (make fuzz): libFuzzer targets for the config parser, the spool's
# segment reader and the stats socket's query parameters, built with clang
# under AddressSanitizer and UndefinedBehaviorSanitizer into build/fuzz/.
FUZZ       := $(BUILD)/fuzz
FUZZ_SECONDS ?= 60
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -O1 -g $(FUZZ_SAN)
FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS  := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ)/%)
# The agent (without main) instrumented for coverage, in an archive: a target
# links only the modules it reaches.
FUZZ_OBJS  := $(AGENT_LIB:$(BUILD)/%=$(FUZZ)/%)
FUZZ_LIB   := $(FUZZ)/libagent.a

.PHONY: fuzz fuzz-build

fuzz-build: $(FUZZ_BINS)

# Each target for FUZZ_SECONDS (after replaying its regression inputs); fails on a crash.
fuzz: deps
	$(Q)$(MAKE) --no-print-directory fuzz-build
	$(Q)tests/fuzz/run $(BUILD) $(FUZZ_SECONDS)

$(FUZZ) $(FUZZ)/agent $(FUZZ)/proto:
	$(Q)mkdir -p $@

$(FUZZ)/agent/%.o: agent/%.c $(SKELS) $(BUILD)/syscall_table.h | $(PROTO_HDRS)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(WARN) -MMD -MP \
		-c $< -o $@

$(FUZZ)/proto/%.pb-c.o: $(BUILD)/proto/%.pb-c.c $(BUILD)/proto/%.pb-c.h | $(FUZZ)/proto
	$(call msg,CC-FUZZ,$@)
	$(Q)$(CLANG) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(WARN) -MMD -MP \
		-c $< -o $@

$(FUZZ_LIB): $(FUZZ_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ)/%: tests/fuzz/%.c $(FUZZ_LIB) | $(FUZZ)
	$(call msg,LD-FUZZ,$@)
	$(Q)$(CLANG) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(WARN) -MMD -MP \
		-MF $(FUZZ)/$*.d $< $(FUZZ_LIB) $(LDLIBS) -o $@

-include $(wildcard $(FUZZ)/*.d $(FUZZ)/agent/*/*.d $(FUZZ)/proto/*.d)
