# pg_devicewake: PGXS build of a C++ PostgreSQL extension, plus the project's entry points
# (test, demo, bench, unit, fuzz, format). `make test` and `make demo` install what they need.

EXTENSION  = pg_devicewake
EXTVERSION = 1.1
MODULE_big = pg_devicewake

PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)

CORE_SRCS := $(sort $(wildcard src/core/*.cpp))
MQTT_SRCS := $(sort $(wildcard src/mqtt/*.cpp))
PG_SRCS   := $(sort $(wildcard src/pg/*.cpp))
OBJS = $(CORE_SRCS:.cpp=.o) $(MQTT_SRCS:.cpp=.o) $(PG_SRCS:.cpp=.o)

# The install script of the version under development is assembled from small files named for what
# they hold (sql/install/NN_*.sql), and so is its upgrade script from the last release
# (sql/upgrade/PREV--EXTVERSION/NN_*.sql). A released version's scripts are committed whole and
# never edited again (sql/pg_devicewake--1.0.sql).
PREVVERSION = 1.0
INSTALL_PARTS := $(sort $(wildcard sql/install/*.sql))
UPGRADE_PARTS := $(sort $(wildcard sql/upgrade/$(PREVVERSION)--$(EXTVERSION)/*.sql))
UPGRADE_built = sql/$(EXTENSION)--$(PREVVERSION)--$(EXTVERSION).sql
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql $(UPGRADE_built)
DATA = $(filter-out $(DATA_built),$(wildcard sql/$(EXTENSION)--*.sql))

# pg_regress: every sql/<feature>.sql that is not an install or upgrade script.
REGRESS = $(sort $(filter-out $(EXTENSION)--%,$(basename $(notdir $(wildcard sql/*.sql)))))
REGRESS_OPTS = --load-extension=$(EXTENSION)
# isolation specs (two sessions at once): specs/<name>.spec with expected/<name>.out
ISOLATION = $(sort $(basename $(notdir $(wildcard specs/*.spec))))
ISOLATION_OPTS = --load-extension=$(EXTENSION)

# WERROR=1 turns warnings into errors (`make test`, and so CI, builds that way). Objects remember
# the setting they were built with: changing it rebuilds them, so a warning is never hidden by an
# object built earlier without -Werror.
WERROR ?= 0
WARN_FLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
ifeq ($(WERROR),1)
WARN_FLAGS += -Werror
endif
FLAGS_STAMP = build/.werror
# rewritten (and so newer than every object) only when the setting changes
$(shell mkdir -p build; echo $(WERROR) | cmp -s - $(FLAGS_STAMP) || echo $(WERROR) > $(FLAGS_STAMP))
PG_CXXFLAGS = -std=c++17 -fPIC $(WARN_FLAGS) -Wno-register
# DW_EXTVERSION: the catalog version this library is built for (the worker waits for it).
PG_CPPFLAGS = -Isrc -I$(shell $(PG_CONFIG) --includedir) -DDW_EXTVERSION='"$(EXTVERSION)"'
SHLIB_LINK = -lmosquitto -lstdc++

PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(wildcard $(PGXS)),)
# No LLVM bitcode for C++17 sources: JIT inlining of this module buys nothing.
override with_llvm = no
# Rebuild objects when a header they include changes (PGXS writes .deps/<basename>.Po; source
# basenames are unique across src/core, src/mqtt and src/pg).
override autodepend = yes
include $(PGXS)
else
all:
	@echo "PostgreSQL build files not found: run scripts/install_deps.sh (or make test / make demo)" >&2; exit 1
endif

$(OBJS): $(FLAGS_STAMP)

sql/$(EXTENSION)--$(EXTVERSION).sql: $(INSTALL_PARTS) Makefile
	@mkdir -p $(dir $@)
	( echo "-- generated from sql/install/*.sql by make: edit those files, not this one"; \
	  printf '%s\n' '\echo Use "CREATE EXTENSION $(EXTENSION)" to load this file. \quit'; \
	  for f in $(INSTALL_PARTS); do echo; echo "-- ===== $$f"; cat $$f; done ) > $@

$(UPGRADE_built): $(UPGRADE_PARTS) Makefile
	( echo "-- generated from sql/upgrade/$(PREVVERSION)--$(EXTVERSION)/*.sql by make: edit those files, not this one"; \
	  printf '%s\n' '\echo Use "ALTER EXTENSION $(EXTENSION) UPDATE TO '"'"'$(EXTVERSION)'"'"'" to load this file. \quit'; \
	  for f in $(UPGRADE_PARTS); do echo; echo "-- ===== $$f"; cat $$f; done ) > $@

# ---------------------------------------------------------------- unit tests (no PostgreSQL headers)
BUILD     ?= build
UNIT_DIR   = $(BUILD)/unit
UNIT_CXX   = g++ -std=c++17 -g -O1 -Isrc $(WARN_FLAGS)
UNIT_SRCS := $(sort $(wildcard test/unit/*.cpp))
UNIT_OBJS  = $(patsubst %.cpp,$(UNIT_DIR)/%.o,$(CORE_SRCS) $(MQTT_SRCS) $(UNIT_SRCS))

$(UNIT_DIR)/%.o: %.cpp $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(UNIT_CXX) -MMD -MP -c $< -o $@

$(UNIT_DIR)/unit_tests: $(UNIT_OBJS)
	$(UNIT_CXX) $^ -o $@ -lgtest -lgtest_main -lgmock -lmosquitto -pthread

-include $(UNIT_OBJS:.o=.d)

# Test tools built from test/tools/*.cpp (simulated cameras, MQTT probes), linked with the pure core.
TOOL_SRCS := $(sort $(wildcard test/tools/*.cpp))
TOOLS      = $(patsubst test/tools/%.cpp,$(BUILD)/tools/%,$(TOOL_SRCS))
TOOL_CORE_OBJS = $(patsubst %.cpp,$(UNIT_DIR)/%.o,$(CORE_SRCS) $(MQTT_SRCS))
$(BUILD)/tools/%: test/tools/%.cpp $(wildcard test/tools/*.hpp) $(TOOL_CORE_OBJS)
	@mkdir -p $(dir $@)
	$(UNIT_CXX) -O2 -I$(shell $(PG_CONFIG) --includedir) $< $(TOOL_CORE_OBJS) -o $@ -lmosquitto -lpq -pthread

# ---------------------------------------------------------------- fuzzing (libFuzzer, Debian's clang)
# One target per test/fuzz/fuzz_<name>.cpp (a new file is picked up automatically), linked with
# every src/core source under AddressSanitizer and UndefinedBehaviorSanitizer, seeded from
# test/fuzz/corpus/<name>/. New inputs go to $(BUILD)/fuzz/corpus/<name> so the committed seeds stay
# small. Each target stops after FUZZ_RUNS executions or FUZZ_SECONDS, whichever comes first;
# a crash leaves $(BUILD)/fuzz/crash-<name>-* and fails `make fuzz`. FUZZ_TARGETS="cron_parser topic"
# runs only those targets (two separate `make fuzz` calls can then share the cores).
FUZZ_CXX      ?= clang++
FUZZ_FLAGS     = -std=c++17 -g -O1 -Isrc -fno-omit-frame-pointer -fsanitize=address,undefined \
                 -fno-sanitize-recover=all
FUZZ_DIR       = $(BUILD)/fuzz
FUZZ_RUNS     ?= 10000000
FUZZ_SECONDS  ?= 3600
FUZZ_MAX_LEN  ?= 4096
FUZZ_SRCS     := $(sort $(wildcard test/fuzz/fuzz_*.cpp))
FUZZ_TARGETS  ?= $(patsubst test/fuzz/fuzz_%.cpp,%,$(FUZZ_SRCS))
FUZZ_BINS      = $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_TARGETS))
FUZZ_CORE_OBJS = $(patsubst %.cpp,$(FUZZ_DIR)/%.o,$(CORE_SRCS))

$(FUZZ_DIR)/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_DIR)/fuzz_%: test/fuzz/fuzz_%.cpp $(FUZZ_CORE_OBJS)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer $< $(FUZZ_CORE_OBJS) -o $@

-include $(FUZZ_CORE_OBJS:.o=.d)

fuzz-build: $(FUZZ_BINS)
fuzz: fuzz-build
	@status=0; for bin in $(FUZZ_BINS); do \
	  name=$${bin##*/fuzz_}; work=$(FUZZ_DIR)/corpus/$$name; log=$(FUZZ_DIR)/$$name.log; mkdir -p $$work; \
	  echo "=== fuzz $$name: up to $(FUZZ_RUNS) runs or $(FUZZ_SECONDS) s"; \
	  if $$bin -runs=$(FUZZ_RUNS) -max_total_time=$(FUZZ_SECONDS) -max_len=$(FUZZ_MAX_LEN) \
	       -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/crash-$$name- \
	       $$work test/fuzz/corpus/$$name >$$log 2>&1; then \
	    grep -E '^(Done [0-9]+ runs|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' $$log; \
	  else \
	    tail -n 40 $$log; echo "fuzz $$name: FAILED (log $$log, artifact $(FUZZ_DIR)/crash-$$name-*)"; status=1; \
	  fi; \
	done; exit $$status

.PHONY: unit unit-build tools deps test demo bench fuzz fuzz-build format format-check
unit-build: $(UNIT_DIR)/unit_tests
unit: unit-build
	$(UNIT_DIR)/unit_tests
tools: $(TOOLS)

deps:
	scripts/install_deps.sh

# What CI runs (.ci/run): the formatting check, then every suite built with warnings as errors.
test:
	scripts/install_deps.sh
	$(MAKE) -s format-check
	WERROR=1 scripts/run_tests.sh

demo:
	scripts/install_deps.sh
	scripts/demo.sh

bench:
	scripts/install_deps.sh
	scripts/run_bench.sh

FORMAT_FILES = $(CORE_SRCS) $(MQTT_SRCS) $(PG_SRCS) $(wildcard src/*/*.hpp) $(UNIT_SRCS) $(TOOL_SRCS) \
               $(wildcard test/tools/*.hpp) $(wildcard test/fuzz/*.cpp)
format:
	clang-format -i $(FORMAT_FILES)
# Fails, naming each file and line, when `make format` would change anything.
format-check:
	@clang-format --dry-run --Werror $(FORMAT_FILES) || \
	  { echo "make format-check: the files above are not formatted: run make format" >&2; exit 1; }

EXTRA_CLEAN = $(BUILD) results regression.diffs regression.out output_iso
