#!/bin/bash
# make lint-clang-tidy finds nothing in the agent, the tools and the test helpers;
# on a finding it prints each with file:line and fails. HOSTMON_BUILD: the
# build dir whose generated headers (skeletons, protobuf-c) it reads.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
build=${HOSTMON_BUILD:-$root/build}
cd "$root"
make --no-print-directory BUILD="$build" lint-clang-tidy
