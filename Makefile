# Makefile - the front door: `make run` and `make test` (README). Everything
# is built through the CMake presets in CMakePresets.json.
.PHONY: run test check-format test-dev test-asan test-fuzz test-board build bench clean

FUZZ_SECONDS ?= 60

run:
	@scripts/deps.sh run
	cmake --preset dev -DCB_TESTS=OFF >/dev/null
	cmake --build --preset dev
	./build/dev/port/posix/chatbell $(ARGS)

build:
	@scripts/deps.sh run
	cmake --preset dev >/dev/null
	cmake --build --preset dev

# Every test: unit + fuzz-corpus replay + e2e + Postman + lwIP (dev build),
# the same under ASan+UBSan, the firmware in QEMU, then each fuzzer for
# FUZZ_SECONDS.
test:
	@scripts/deps.sh test
	@scripts/deps.sh board
	$(MAKE) --no-print-directory check-format test-dev test-asan test-board test-fuzz

# Our C sources follow .clang-format (fetched third-party code is never in git).
check-format:
	git ls-files '*.c' '*.h' | xargs clang-format --dry-run --Werror

test-dev:
	cmake --preset dev -DCB_TESTS=ON >/dev/null
	cmake --build --preset dev
	ctest --preset dev

test-asan:
	cmake --preset asan >/dev/null
	cmake --build --preset asan
	ctest --preset asan

test-fuzz:
	cmake --preset fuzz -DCB_FUZZ_SECONDS=$(FUZZ_SECONDS) >/dev/null
	cmake --build --preset fuzz
	ctest --preset fuzz -L fuzz

test-board:
	cmake --preset board >/dev/null
	cmake --build --preset board
	ctest --preset board

bench:
	@scripts/deps.sh bench
	tests/bench/run.sh
	python3 tests/bench/tls_bench.py

clean:
	rm -rf build
