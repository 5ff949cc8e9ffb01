# simec: Lua 5.4 host + pure-C numerical core.
#   make            ./simec, ./libsimeccore.a, ./simec.so
#   make test       install missing Debian packages, build, run every test
#   make sanitize   the same suite built with -fsanitize=address,undefined
#   make valgrind   the C tests and Lua specs under valgrind's memcheck
#   make demo       install, build, run examples/all_tasks.lua --quick (ml-100k if present, else synthetic)
#   make bench      benchmarks under scripts/bench/
#   make fuzz       libFuzzer targets (clang) for every parser, FUZZ_SECONDS each
#   make notebooks  examples/notebooks/*.ipynb written again (scripts/notebooks.py)

CC      ?= cc
PKGS    := lua5.4 openblas lapacke readline arpack
PREFIX  ?= /usr/local
# Debian's python3 (with nbformat from install-deps.sh) before any other on PATH
PY      := $(shell [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)

# BUILD holds objects; OUT the three products (top level for the normal build).
BUILD   ?= build/rel
OUT     ?= .
SAN     ?=

PKG_CFLAGS := $(filter -I%,$(shell pkg-config --cflags $(PKGS) 2>/dev/null))
BLAS_LIBS  := $(shell pkg-config --libs arpack openblas lapacke 2>/dev/null)
LUA_LIBS   := $(shell pkg-config --libs lua5.4 2>/dev/null)
# the Jupyter kernel (src/kernel.c) is built when these are found
KERNEL_PKGS := libzmq jansson libcrypto
ifeq ($(shell pkg-config --exists $(KERNEL_PKGS) 2>/dev/null && echo yes),yes)
XFLAGS_kernel := -DSIMEC_KERNEL $(filter -I%,$(shell pkg-config --cflags $(KERNEL_PKGS)))
KERNEL_LIBS   := $(shell pkg-config --libs $(KERNEL_PKGS))
endif
RL_LIBS    := $(shell pkg-config --libs readline 2>/dev/null)

# The warning list of Lua's own makefile, plus -Werror.
WARN    := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
           -Wdeclaration-after-statement -Wdouble-promotion -Wpointer-arith -Wwrite-strings -Wundef
OPT     ?= -O2 -g
ifeq ($(SAN),1)
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDSAN   := -fsanitize=address,undefined
endif
# the libFuzzer build (CC=clang): coverage-instrumented, ASan + UBSan
ifeq ($(SAN),fuzz)
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
           -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
LDSAN   := -fsanitize=address,undefined
endif
# -ffp-contract=off: no fused multiply-adds, so every target_clones form
# of a loop (and every compiler) rounds alike (src/core/core.h)
CFLAGS_ALL := -std=c99 -ffp-contract=off -D_DEFAULT_SOURCE -D_XOPEN_SOURCE=700 $(OPT) $(WARN) -fPIC \
              -fvisibility=hidden -Isrc/core -Isrc/lua $(PKG_CFLAGS) $(CFLAGS)
VERSION := 0.2.0

CORE_SRC := $(wildcard src/core/*.c)
BIND_SRC := $(wildcard src/lua/*.c)
HOST_SRC := src/main.c src/repl.c src/interrupt.c src/kernel.c
CORE_OBJ := $(CORE_SRC:src/%.c=$(BUILD)/%.o)
BIND_OBJ := $(BIND_SRC:src/%.c=$(BUILD)/%.o)
HOST_OBJ := $(HOST_SRC:src/%.c=$(BUILD)/%.o)
CTEST_SRC := $(wildcard tests/c/test_*.c)
CTEST_BIN := $(CTEST_SRC:tests/c/%.c=$(BUILD)/tests/%)

.PHONY: all test sanitize valgrind demo bench deps clean install uninstall check-deps fuzz fuzzers reference docs-figures docs-transcripts notebooks
all: $(OUT)/simec $(OUT)/libsimeccore.a $(OUT)/simec.so

# Makefile too: VERSION and the flags live here
$(BUILD)/%.o: src/%.c $(wildcard src/core/*.h src/lua/*.h src/*.h) Makefile | check-deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(HOT_$(notdir $*)) $(XFLAGS_$(notdir $*)) -DSIMEC_VERSION='"$(VERSION)"' -c $< -o $@

# inner loops over every rating: let the compiler vectorise them (not in the sanitizer builds)
ifeq ($(SAN),)
HOT_svd_op := -O3
HOT_svd_arpack := -O3
HOT_svd_randomized := -O3
HOT_spm_ops := -O3
HOT_io_text := -O3
HOT_rec_split := -O3
HOT_rec_bias := -O3
HOT_rec_implicit := -O3
HOT_rec_synthetic := -O3
HOT_simec_train := -O3
HOT_simec_output := -O3
HOT_simec_model := -O3
HOT_simec_opt := -O3
HOT_spm := -O3
HOT_ials := -O3
HOT_mf := -O3
HOT_bfm := -O3
HOT_rng := -O3
endif
# the sampler's draws take square roots of positive precisions only: no errno branch, so they vectorise
XFLAGS_bfm := -fno-math-errno

$(OUT)/libsimeccore.a: $(CORE_OBJ)
	@mkdir -p $(OUT)
	rm -f $@ && ar rcs $@ $^

$(OUT)/simec: $(HOST_OBJ) $(BIND_OBJ) $(OUT)/libsimeccore.a
	$(CC) $(LDSAN) -Wl,-E -o $@ $(HOST_OBJ) $(BIND_OBJ) $(OUT)/libsimeccore.a $(LUA_LIBS) $(RL_LIBS) $(KERNEL_LIBS) $(BLAS_LIBS) -lpthread -lm

# The Lua C module: no Lua library linked in (the interpreter provides it).
$(OUT)/simec.so: $(BIND_OBJ) $(OUT)/libsimeccore.a
	$(CC) $(LDSAN) -shared -o $@ $(BIND_OBJ) $(OUT)/libsimeccore.a $(BLAS_LIBS) -lpthread -lm

# the one C test of the binding: it embeds Lua
$(BUILD)/tests/test_states: tests/c/test_states.c tests/c/check.h $(BIND_OBJ) $(OUT)/libsimeccore.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/c $(LDSAN) -o $@ $< $(BIND_OBJ) $(OUT)/libsimeccore.a $(LUA_LIBS) $(BLAS_LIBS) -lpthread -lm

$(BUILD)/tests/%: tests/c/%.c tests/c/check.h $(OUT)/libsimeccore.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/c $(LDSAN) -o $@ $< $(OUT)/libsimeccore.a $(BLAS_LIBS) -lpthread -lm

# Fuzz targets (tests/fuzz): the C readers, selected by FUZZ_TARGET, and the
# Lua-side parsers of lua/simec/data.lua, by a function of targets.lua. The
# normal build replays their seed and regression corpora as C tests.
FUZZ_C     := triplets mtx npy model
FUZZ_LUA   := ml100k mldat mlcsv pairs features genome dti api
fuzz_num    = $(if $(filter triplets,$1),1,$(if $(filter mtx,$1),2,$(if $(filter npy,$1),3,4)))
REPLAY_BIN := $(FUZZ_C:%=$(BUILD)/tests/test_fuzz_%)
FUZZ_SECONDS ?= 60

$(BUILD)/tests/test_fuzz_%: tests/fuzz/fuzz_io.c tests/fuzz/replay.c $(OUT)/libsimeccore.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDSAN) -DFUZZ_TARGET=$(call fuzz_num,$*) -DFUZZ_NAME='"$*"' -o $@ tests/fuzz/fuzz_io.c \
	    tests/fuzz/replay.c $(OUT)/libsimeccore.a $(BLAS_LIBS) -lpthread -lm

build/fuzz/fuzz_lua_%: tests/fuzz/fuzz_lua.c $(BIND_OBJ) $(OUT)/libsimeccore.a
	$(CC) $(CFLAGS_ALL) -fsanitize=fuzzer,address,undefined -DFUZZ_LUA='"$*"' -o $@ $< $(BIND_OBJ) \
	    $(OUT)/libsimeccore.a $(LUA_LIBS) $(BLAS_LIBS) -lpthread -lm

build/fuzz/fuzz_%: tests/fuzz/fuzz_io.c $(OUT)/libsimeccore.a
	$(CC) $(CFLAGS_ALL) -fsanitize=fuzzer,address,undefined -DFUZZ_TARGET=$(call fuzz_num,$*) -o $@ $< \
	    $(OUT)/libsimeccore.a $(BLAS_LIBS) -lpthread -lm

fuzzers: $(FUZZ_C:%=build/fuzz/fuzz_%) $(FUZZ_LUA:%=build/fuzz/fuzz_lua_%)

# make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="npy dti"]: every target for
# FUZZ_SECONDS; findings land in tests/fuzz/found/
fuzz:
	@sh scripts/install-deps.sh --fuzz
	@$(MAKE) --no-print-directory CC=clang BUILD=build/fuzz OUT=build/fuzz SAN=fuzz fuzzers
	@sh scripts/run-fuzz.sh --seconds $(FUZZ_SECONDS) $(if $(FUZZ_TARGETS),--targets "$(FUZZ_TARGETS)")

check-deps:
	@pkg-config --exists $(PKGS) || { echo "missing build dependencies: run scripts/install-deps.sh (or make test / make demo, which run it)"; exit 1; }

deps:
	@sh scripts/install-deps.sh

ctests: $(CTEST_BIN) $(REPLAY_BIN)

test: deps
	@$(MAKE) --no-print-directory all ctests
	@sh scripts/run-tests.sh --build $(BUILD) --bin $(OUT)

# examples/notebooks/*.ipynb from docs/tutorial.md and scripts/notebooks.py (tests fail when they are stale)
notebooks:
	@$(PY) scripts/notebooks.py

# docs/reference.md from the help registry (tests/lua/help_spec.lua fails when it is stale)
reference: all
	@./simec -e 'io.write(require("simec.help").markdown())' > docs/reference.md.tmp && mv docs/reference.md.tmp docs/reference.md
	@echo "wrote docs/reference.md"

# the README's and tutorial's transcripts re-run and written back (review the diff)
docs-transcripts: all
	@./simec scripts/update-transcripts.lua README.md docs/tutorial.md

# docs/img/*.svg, the figures docs/tutorial.md shows (needs ml-100k)
docs-figures: all
	@./simec scripts/docs-figures.lua docs/img

sanitize: deps
	@$(MAKE) --no-print-directory BUILD=build/asan OUT=build/asan SAN=1 all ctests
	@SIMEC_SANITIZE=1 sh scripts/run-tests.sh --build build/asan --bin build/asan

# memcheck over the C tests and the Lua specs (1.5 to 3 minutes on 2 cores)
valgrind: deps
	@sh scripts/install-deps.sh --valgrind
	@$(MAKE) --no-print-directory all ctests
	@SIMEC_VALGRIND=1 sh scripts/run-tests.sh --build $(BUILD) --bin $(OUT)

demo: deps
	@$(MAKE) --no-print-directory all
	@if [ -d data/ml-100k ] || [ -d ../shared/data/ml-100k ]; then ./simec examples/all_tasks.lua --quick; else \
	    echo "demo: no ml-100k in data/ or ../shared/data/ (scripts/get-data.sh ml-100k fetches it): synthetic data"; \
	    ./simec examples/all_tasks.lua --quick --synthetic; fi

bench: deps
	@$(MAKE) --no-print-directory all
	sh scripts/bench/io.sh
	sh scripts/bench/baselines.sh
	sh scripts/bench/mcmc.sh --sizes 100k
	sh scripts/bench/mf.sh --size 100k
	sh scripts/bench/implicit.sh --size 100k
	sh scripts/bench/dti.sh

# Lua's module directories for the installed simec.so and lua/simec/*.lua
LUA_CMOD := $(PREFIX)/lib/lua/5.4
LUA_LMOD := $(PREFIX)/share/lua/5.4

# the public C API (installed under <simec/...>); blas.h, par.h, vec.h and the
# *_impl.h headers are the core's own
CORE_HDR := $(filter-out src/core/blas.h src/core/par.h src/core/vec.h src/core/%_impl.h,$(wildcard src/core/*.h))

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/simec \
	    $(DESTDIR)$(PREFIX)/share/simec/lua/simec $(DESTDIR)$(PREFIX)/share/simec/examples \
	    $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(LUA_CMOD) $(DESTDIR)$(LUA_LMOD)/simec \
	    $(DESTDIR)$(PREFIX)/share/simec/lua/simec/models $(DESTDIR)$(LUA_LMOD)/simec/models
	install -m 755 simec $(DESTDIR)$(PREFIX)/bin/simec
	install -m 644 libsimeccore.a $(DESTDIR)$(PREFIX)/lib/libsimeccore.a
	install -m 644 $(CORE_HDR) $(DESTDIR)$(PREFIX)/include/simec/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' -e 's|@LIBS@|$(BLAS_LIBS) -lpthread -lm|' \
	    simec.pc.in >$(DESTDIR)$(PREFIX)/lib/pkgconfig/simec.pc
	install -m 755 simec.so $(DESTDIR)$(LUA_CMOD)/simec.so
	install -m 644 lua/simec/*.lua $(DESTDIR)$(PREFIX)/share/simec/lua/simec/
	install -m 644 lua/simec/*.lua $(DESTDIR)$(LUA_LMOD)/simec/
	install -m 644 lua/simec/models/*.lua $(DESTDIR)$(PREFIX)/share/simec/lua/simec/models/
	install -m 644 lua/simec/models/*.lua $(DESTDIR)$(LUA_LMOD)/simec/models/
	install -m 644 examples/*.lua $(DESTDIR)$(PREFIX)/share/simec/examples/
	install -m 644 man/simec.1 $(DESTDIR)$(PREFIX)/share/man/man1/simec.1
	$(if $(KERNEL_LIBS),./simec --install-kernel --prefix $(DESTDIR)$(PREFIX) --bin $(PREFIX)/bin/simec)

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/simec $(DESTDIR)$(PREFIX)/lib/libsimeccore.a $(DESTDIR)$(LUA_CMOD)/simec.so \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig/simec.pc $(DESTDIR)$(PREFIX)/share/man/man1/simec.1
	rm -rf $(DESTDIR)$(PREFIX)/share/simec $(DESTDIR)$(LUA_LMOD)/simec $(DESTDIR)$(PREFIX)/include/simec \
	    $(DESTDIR)$(PREFIX)/share/jupyter/kernels/simec

clean:
	rm -rf build simec simec.so libsimeccore.a
