#!/usr/bin/env bash
# Runs every fuzz target (or those named) for SECONDS each and prints, per target, the
# executions, the coverage reached, and the crashes found (artifacts under fuzz/artifacts/).
#
#   fuzz/run.sh 600                  # every target, 10 minutes each (by hand)
#   fuzz/run.sh 20 sdl_reader        # one target, 20 s
#   FUZZ_SANITIZER=address fuzz/run.sh 600   # with AddressSanitizer (slower; the crate forbids
#                                            # unsafe code, so it only watches dependencies)
#
# The seed corpus per target comes from the test fixtures (SDL traces, .gz traces, scenarios)
# and from fuzz/seeds/<target>/ (SOAP, CLI, multipart, inventory samples); what the fuzzer
# learns is kept in fuzz/corpus/<target>/ (not committed).
# cargo-fuzz needs nightly features: RUSTC_BOOTSTRAP=1 lets the stable toolchain build them.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-60}"; shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v '^ils-doctor-fuzz$')
fi
export RUSTC_BOOTSTRAP=1
sanitizer="${FUZZ_SANITIZER:-none}"

seed() {  # target -> seed folder with the fixtures that fit it
  local t="$1" dir="corpus/$1"
  mkdir -p "$dir"
  case "$t" in
    sdl_reader|signature_matcher|redact)
      for f in ../tests/fixtures/sdl/*/*.txt; do
        cp "$f" "$dir/$(basename "$(dirname "$f")")-$(basename "$f")"
      done ;;
    gzip_trace)
      for f in ../tests/fixtures/sdl/*/*.txt; do
        gzip -c "$f" > "$dir/$(basename "$(dirname "$f")")-$(basename "$f").gz"
      done ;;
    scenario_file)
      cp -n ../mock-server/scenarios/*.toml "$dir/" ;;
    tar_reader)
      gzip -dc seeds/bundle_extract/bundle.tar.gz > "$dir/bundle.tar" ;;
  esac
  [ -d "seeds/$t" ] && cp -n seeds/"$t"/* "$dir/" 2>/dev/null || true
}

crashes() { if [ -d "artifacts/$1" ]; then find "artifacts/$1" -type f | wc -l; else echo 0; fi; }

printf '%-18s %10s %8s %8s %8s\n' target executions "exec/s" cov crashes
for t in "${targets[@]}"; do
  seed "$t"
  log="$(mktemp)"
  before=$(crashes "$t")
  cargo fuzz run --sanitizer "$sanitizer" "$t" "corpus/$t" -- \
    -max_total_time="$secs" -print_final_stats=1 -rss_limit_mb=1024 -timeout=10 >"$log" 2>&1 || true
  after=$(crashes "$t")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  printf '%-18s %10s %8s %8s %8s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$((after - before))"
  if [ "$after" -gt "$before" ] || [ -z "$execs" ]; then
    echo "--- $t: see $log" >&2; tail -30 "$log" >&2
    status=1
  fi
done
exit "${status:-0}"
