// Declarations only: LLVMFuzzerRunDriver comes from the libFuzzer runtime. SwiftPM wants a source
// file in every C target.
#include "CLibFuzzer.h"
