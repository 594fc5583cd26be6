// libFuzzer's driver entry (compiler-rt FuzzerInterface.h). SwiftPM links executables with
// `main` aliased to `<Target>_main`, which keeps libFuzzer's own `main` out of the link, so
// the harness defines that symbol and hands control to the driver through this call.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
