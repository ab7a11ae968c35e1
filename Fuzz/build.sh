#!/usr/bin/env bash
# Builds Fuzz/.build/wal-fuzz: the library sources, WALTestSupport and the
# libFuzzer entry point, compiled with libFuzzer coverage and AddressSanitizer.
# swift-metrics is replaced by a no-op stub (Fuzz/Stubs), so the build needs
# nothing but the toolchain.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/Fuzz/.build"
SWIFTC="${SWIFTC:-swiftc}"
CLANG="${CLANG:-$(dirname "$(command -v "$SWIFTC")")/clang}"
SANITIZE="${FUZZ_SANITIZE:-fuzzer,address}"
mkdir -p "$OUT/include" "$OUT/modules"

cat > "$OUT/include/module.modulemap" <<MAP
module CCRC32C {
    header "$ROOT/Sources/CCRC32C/include/crc32c.h"
    export *
}
module CEventCount {
    header "$ROOT/Sources/CEventCount/include/event_count.h"
    export *
}
module CFileSpace {
    header "$ROOT/Sources/CFileSpace/include/file_space.h"
    export *
}
MAP
"$CLANG" -O1 -g -fsanitize=fuzzer-no-link,address -I "$ROOT/Sources/CCRC32C/include" \
    -c "$ROOT/Sources/CCRC32C/crc32c.c" -o "$OUT/crc32c.o"
"$CLANG" -O1 -g -fsanitize=fuzzer-no-link,address -I "$ROOT/Sources/CEventCount/include" \
    -c "$ROOT/Sources/CEventCount/event_count.c" -o "$OUT/event_count.o"
"$CLANG" -O1 -g -fsanitize=fuzzer-no-link,address -I "$ROOT/Sources/CFileSpace/include" \
    -c "$ROOT/Sources/CFileSpace/file_space.c" -o "$OUT/file_space.o"

mapfile -t LIBRARY < <(find "$ROOT/Sources/WriteAheadLog" -name '*.swift' ! -name 'WALMetrics.swift' | sort)
LINKER=(); if command -v ld.lld >/dev/null 2>&1 || [ -x "$(dirname "$(command -v "$SWIFTC")")/ld.lld" ]; then LINKER=(-use-ld=lld); fi
COMMON=(-O -g -parse-as-library -package-name swift_graph_wal -swift-version 6 -sanitize="$SANITIZE" -I "$OUT/include" -I "$OUT/modules")

"$SWIFTC" "${COMMON[@]}" -module-name WriteAheadLog -wmo -emit-module -emit-module-path "$OUT/modules/WriteAheadLog.swiftmodule" \
    -c "${LIBRARY[@]}" "$ROOT/Fuzz/Stubs/WALMetrics.swift" -o "$OUT/WriteAheadLog.o"
mapfile -t SUPPORT < <(find "$ROOT/Sources/WALTestSupport" -name '*.swift' | sort)
"$SWIFTC" "${COMMON[@]}" -module-name WALTestSupport -wmo -emit-module -emit-module-path "$OUT/modules/WALTestSupport.swiftmodule" \
    -c "${SUPPORT[@]}" -o "$OUT/WALTestSupport.o"
"$SWIFTC" "${COMMON[@]}" -module-name WALFuzz "$ROOT/Fuzz/Sources/main.swift" \
    "${LINKER[@]}" "$OUT/WriteAheadLog.o" "$OUT/WALTestSupport.o" "$OUT/crc32c.o" "$OUT/event_count.o" "$OUT/file_space.o" -o "$OUT/wal-fuzz"
echo "built $OUT/wal-fuzz"
