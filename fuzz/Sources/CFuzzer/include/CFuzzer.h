#ifndef ZOO_CFUZZER_H
#define ZOO_CFUZZER_H
#include <stddef.h>
#include <stdint.h>

// libFuzzer's driver (compiler-rt, linked by -sanitize=fuzzer). SwiftPM names an executable's
// entry point itself (`<Target>_main`, aliased to `main` at link time), so libFuzzer's own
// `main` cannot be used: each target's main.swift calls the driver instead.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
